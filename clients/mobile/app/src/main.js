// The kneecoach patient web app: sign in, today's session with timers, a pain report in
// seconds, the morning check-in, and an offline outbox that syncs without double counting.
// Every call goes through the gateway (Connect protocol) to the kneecoach gRPC server.
import { create, fromJson, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

import { AccessService } from "../../gen/kneecoach/v1/access_pb.js";
import { DecisionKind } from "../../gen/kneecoach/v1/decision_pb.js";
import { ProgramService, ProgramState } from "../../gen/kneecoach/v1/program_pb.js";
import {
  ReportMorningCheckInRequestSchema,
  ReportSessionRequestSchema,
  SessionSchema,
  SessionService,
  SessionView,
} from "../../gen/kneecoach/v1/session_pb.js";
import { RedFlag, RedFlagSchema, TrafficLight } from "../../gen/kneecoach/v1/report_pb.js";
import {
  OutcomeKind,
  OutcomeKindSchema,
  OutcomeService,
  QuestionnaireSchema,
  RecordOutcomeRequestSchema,
} from "../../gen/kneecoach/v1/outcome_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { enqueue, loadQueue, newRequestId, removeFromQueue } from "./queue.js";

// --- state kept on the phone --------------------------------------------------------------
const store = {
  get token() { return localStorage.getItem("kc.token"); },
  set token(v) { v ? localStorage.setItem("kc.token", v) : localStorage.removeItem("kc.token"); },
  get program() { return localStorage.getItem("kc.program"); },
  set program(v) { v ? localStorage.setItem("kc.program", v) : localStorage.removeItem("kc.program"); },
  get today() {
    try { return JSON.parse(localStorage.getItem("kc.today") ?? "null"); } catch { return null; }
  },
  set today(v) { v ? localStorage.setItem("kc.today", JSON.stringify(v)) : localStorage.removeItem("kc.today"); },
};

const transport = createConnectTransport({ baseUrl: location.origin });
const access = createClient(AccessService, transport);
const programs = createClient(ProgramService, transport);
const sessions = createClient(SessionService, transport);
const outcomes = createClient(OutcomeService, transport);
const auth = (token = store.token) => ({ headers: { authorization: `Bearer ${token}` }, timeoutMs: 15000 });

const $ = (id) => document.getElementById(id);
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// --- errors -----------------------------------------------------------------------------------
// "INVALID_ARGUMENT" from Code.InvalidArgument: the gRPC name the server used.
export function codeName(code) {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

// The error as the patient sees it: the status code, the server's message, and each field
// violation (google.rpc.BadRequest) on its own line.
function describe(err) {
  const e = ConnectError.from(err);
  const lines = [`${codeName(e.code)}: ${e.rawMessage}`];
  for (const bad of e.findDetails(BadRequestSchema)) {
    for (const v of bad.fieldViolations) lines.push(`• ${v.field}: ${v.description}`);
  }
  if (e.code === Code.Unauthenticated) lines.push("Sign in again with a new code from your physiotherapist.");
  return lines.join("\n");
}

// Errors that may go away on a retry (no network, server restarting): the item stays queued.
function transient(e) {
  return [Code.Unavailable, Code.Unknown, Code.DeadlineExceeded, Code.ResourceExhausted,
    Code.Aborted, Code.Internal, Code.Canceled].includes(e.code) || !navigator.onLine;
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

// --- sign in ----------------------------------------------------------------------------------
async function signIn(credential) {
  credential = credential.trim();
  let token = credential;
  if (/^KC-[A-Z0-9]{4}-[A-Z0-9]{4}$/i.test(credential)) {
    // The one-use code is the bearer credential for EnrollDevice; the answer is our token.
    const res = await access.enrollDevice(
      { deviceName: `web app (${navigator.platform || "phone"})` }, auth(credential.toUpperCase()));
    token = res.secret;
    store.token = token;  // the code is spent now: keep what it bought, whatever follows
  }
  await finishSignIn(token);
}

// Finds the patient's program with `token` and keeps both.
async function finishSignIn(token) {
  const { user } = await access.getCurrentUser({}, auth(token));
  if (!user?.patient) throw new ConnectError("this app is for patients; sign in with a patient's code or token", Code.PermissionDenied);
  const list = await programs.listPrograms({ patient: user.patient }, auth(token));
  const program = list.programs.find((p) => p.state === ProgramState.ACTIVE) ??
    list.programs.find((p) => p.state === ProgramState.PAUSED) ?? list.programs[0];
  if (!program) throw new ConnectError("no program yet: ask your physiotherapist to create one", Code.FailedPrecondition);
  store.token = token;
  store.program = program.name;
  store.today = null;
}

// --- today ------------------------------------------------------------------------------------
let today = null;  // the Session shown (fresh or saved)

async function loadToday() {
  try {
    const res = await sessions.getTodaySession({ program: store.program, view: SessionView.FULL }, auth());
    today = res.session;
    store.today = { session: toJson(SessionSchema, today), savedAt: new Date().toISOString() };
    renderToday(false);
    showError("");
  } catch (err) {
    const e = ConnectError.from(err);
    const saved = store.today;
    if (transient(e) && saved) {
      today = fromJson(SessionSchema, saved.session, { ignoreUnknownFields: true });
      renderToday(true, saved.savedAt);
    } else {
      showError(describe(e));
    }
  }
}

function doseText(d) {
  if (!d) return "";
  const parts = [];
  if (d.runSeconds) parts.push(`${d.sets} × run ${fmt(d.runSeconds)} / walk ${fmt(d.walkSeconds)}`);
  else if (d.holdSeconds) parts.push(`${d.sets} × ${d.reps || 1} hold${(d.reps || 1) > 1 ? "s" : ""} of ${d.holdSeconds} s`);
  else if (d.durationSeconds) parts.push(`${d.sets} × ${fmt(d.durationSeconds)}`);
  else parts.push(`${d.sets} × ${d.reps}`);
  if (d.perSide) parts.push("each side");
  if (d.loadKg) parts.push(`${d.loadKg} kg`);
  if (d.restSeconds) parts.push(`rest ${fmt(d.restSeconds)}`);
  if (d.maxKneeFlexionDegrees) parts.push(`knee bend up to ${d.maxKneeFlexionDegrees}°`);
  if (d.targetRpe) parts.push(`effort ${d.targetRpe}/10`);
  return parts.join(" · ");
}

function fmt(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const outcomeNames = {
  [OutcomeKind.AKPS]: "the knee questionnaire (Anterior Knee Pain Scale)",
  [OutcomeKind.STEP_DOWN_30S]: "the 30-second step-down count",
  [OutcomeKind.GLOBAL_RATING_OF_CHANGE]: "how your knee has changed since you started",
};

// Whether an outcome of this kind waits in the outbox (then it is not asked again).
function queuedOutcome(kind) {
  const name = OutcomeKindSchema.value[kind].name;
  return loadQueue().some((i) => i.kind === "outcome" && i.request.outcome?.kind === name);
}

function renderToday(offline, savedAt) {
  const s = today;
  $("today-meta").textContent = [
    s.localDate && `${s.localDate}`, s.programDay && `day ${s.programDay}`,
    offline && `saved copy from ${new Date(savedAt).toLocaleString()} (offline)`,
  ].filter(Boolean).join(" · ");
  $("today-message").hidden = !(s.message || s.programPaused);
  $("today-message").textContent = s.message || (s.programPaused ? "Your program is paused." : "");
  const due = s.outcomesDue.map((k) => outcomeNames[k] ?? "a check of your progress");
  $("outcomes-due").hidden = due.length === 0;
  $("outcomes-due").textContent = due.length ? `Due today: ${due.join(", ")}.` : "";
  const akpsDue = s.outcomesDue.includes(OutcomeKind.AKPS);
  if (akpsDue && !queuedOutcome(OutcomeKind.AKPS)) {
    $("outcomes-due").append(" ", el("button", { type: "button", class: "secondary", dataset: { testid: "akps-open" }, onclick: openAkps }, "Fill in the questionnaire"));
  }
  const grocDue = s.outcomesDue.includes(OutcomeKind.GLOBAL_RATING_OF_CHANGE);
  if (grocDue && !queuedOutcome(OutcomeKind.GLOBAL_RATING_OF_CHANGE)) {
    $("outcomes-due").append(" ", el("button", { type: "button", class: "secondary", dataset: { testid: "groc-open" }, onclick: openGroc }, "Rate your knee"));
  } else {
    $("groc-form").hidden = true;
  }
  for (const t of timers.values()) t.stop();
  timers.clear();
  $("items").replaceChildren(...s.items.map((item, i) => el("li", { dataset: { prescription: item.prescription } },
    el("h3", {}, item.displayName || item.exercise, item.done ? el("span", { class: "done-tag" }, "✓ done") : null,
      item.optional ? el("span", { class: "muted" }, " (optional)") : null),
    el("div", { class: "dose" }, doseText(item.dose)),
    item.summary ? el("p", {}, item.summary) : null,
    item.cues.length ? el("ul", {}, item.cues.map((c) => el("li", {}, c))) : null,
    timerFor(item, i),
  )));
  $("cards").replaceChildren(...s.educationCards.map((c) =>
    el("details", { class: "card" }, el("summary", {}, c.title || c.name), c.paragraphs.map((p) => el("p", {}, p)))));
  renderOverrides();
}

// --- timers -----------------------------------------------------------------------------------
// A countdown for held or timed work: `work` seconds per hold, `holds` per set, `sets` sets,
// `rest` seconds between sets. Runs off the wall clock, so a throttled tab does not drift.
const timers = new Map();

function timerFor(item, index) {
  const d = item.dose;
  if (!d || today.programPaused) return null;  // paused: no loading at all
  if (d.runSeconds) {
    const t = new RunWalkTimer(d.runSeconds, d.walkSeconds, Math.max(1, d.sets));
    timers.set(index, t);
    return t.root;
  }
  const work = d.holdSeconds || d.durationSeconds;
  if (!work) return null;
  const holds = d.holdSeconds ? Math.max(1, d.reps) : 1;
  const t = new HoldTimer(work, holds, Math.max(1, d.sets), d.restSeconds);
  t.root.dataset.kind = d.holdSeconds ? "hold" : "duration";
  timers.set(index, t);
  return t.root;
}

class HoldTimer {
  constructor(work, holds, sets, rest) {
    Object.assign(this, { work, holds, sets, rest });
    this.clock = el("span", { class: "clock", dataset: { testid: "timer-clock" } });
    this.phase = el("span", { class: "phase", dataset: { testid: "timer-phase" } });
    this.toggle = el("button", { type: "button", dataset: { testid: "timer-toggle" }, onclick: () => this.running ? this.pause() : this.start() });
    this.reset = el("button", { type: "button", class: "secondary", onclick: () => this.restart() }, "Reset");
    this.root = el("div", { class: "timer" }, this.clock, this.phase, this.toggle, this.reset);
    this.restart();
  }
  restart() {
    this.stop();
    Object.assign(this, { set: 1, hold: 1, resting: false, left: this.work, finished: false });
    this.render();
  }
  start() {
    if (this.finished) this.restart();
    this.running = true;
    this.last = performance.now();
    this.interval = setInterval(() => this.tick(), 200);
    this.render();
  }
  pause() { this.stop(); this.render(); }
  stop() { clearInterval(this.interval); this.running = false; }
  tick() {
    const now = performance.now();
    this.left -= (now - this.last) / 1000;
    this.last = now;
    while (this.left <= 0 && !this.finished) this.advance();
    this.render();
  }
  advance() {
    const carry = this.left;  // <= 0: time already spent in the next phase
    if (this.resting) {
      Object.assign(this, { resting: false, set: this.set + 1, hold: 1, left: this.work + carry });
    } else if (this.hold < this.holds) {
      Object.assign(this, { hold: this.hold + 1, left: this.work + carry });
    } else if (this.set < this.sets) {
      if (this.rest > 0) Object.assign(this, { resting: true, left: this.rest + carry });
      else Object.assign(this, { set: this.set + 1, hold: 1, left: this.work + carry });
    } else {
      Object.assign(this, { left: 0, finished: true });
      this.stop();
      navigator.vibrate?.(300);
    }
    if (!this.finished) navigator.vibrate?.(100);
  }
  render() {
    this.clock.textContent = fmt(this.left);
    this.phase.textContent = this.finished ? "All sets done" :
      this.resting ? `Rest before set ${this.set + 1}` :
      `Set ${this.set}/${this.sets}` + (this.holds > 1 ? ` · hold ${this.hold}/${this.holds}` : "");
    this.toggle.textContent = this.running ? "Pause" : this.finished ? "Again" : "Start";
  }
}

// Run/walk intervals for a return-to-run stage: the dose carries them (run_seconds,
// walk_seconds, repeated `sets` times), so the timer needs nothing beyond the session item.
// Alternates "Run m:ss" and "Walk m:ss", vibrates at each switch, shows the time left in all.
class RunWalkTimer {
  constructor(run, walk, repeats) {
    this.phases = [];
    for (let i = 1; i <= repeats; i++) {
      this.phases.push({ kind: "run", label: "Run", seconds: run, repeat: i });
      if (walk > 0) this.phases.push({ kind: "walk", label: "Walk", seconds: walk, repeat: i });
    }
    Object.assign(this, { repeats, total: this.phases.reduce((a, p) => a + p.seconds, 0) });
    this.clock = el("span", { class: "clock", dataset: { testid: "timer-clock" } });
    this.phase = el("span", { class: "phase", dataset: { testid: "timer-phase" } });
    this.totalEl = el("span", { class: "total", dataset: { testid: "timer-total" } });
    this.toggle = el("button", { type: "button", dataset: { testid: "timer-toggle" }, onclick: () => this.running ? this.pause() : this.start() });
    this.reset = el("button", { type: "button", class: "secondary", onclick: () => this.restart() }, "Reset");
    this.root = el("div", { class: "timer runwalk", dataset: { kind: "runwalk" } }, this.phase, this.clock, this.toggle, this.reset, this.totalEl);
    this.restart();
  }
  restart() {
    this.stop();
    Object.assign(this, { index: 0, left: this.phases[0].seconds, finished: false });
    this.render();
  }
  start() {
    if (this.finished) this.restart();
    this.running = true;
    this.last = Date.now();
    this.interval = setInterval(() => this.tick(), 200);
    this.render();
  }
  pause() { this.stop(); this.render(); }
  stop() { clearInterval(this.interval); this.running = false; }
  tick() {
    const now = Date.now();
    this.left -= (now - this.last) / 1000;
    this.last = now;
    let switched = false;
    while (this.left <= 0 && !this.finished) {
      if (this.index + 1 < this.phases.length) {
        this.index += 1;
        this.left += this.phases[this.index].seconds;
        switched = true;
      } else {
        Object.assign(this, { left: 0, finished: true });
        this.stop();
        navigator.vibrate?.([300, 100, 300]);
      }
    }
    if (switched && !this.finished) navigator.vibrate?.(200);
    this.render();
  }
  remaining() {
    return this.left + this.phases.slice(this.index + 1).reduce((a, p) => a + p.seconds, 0);
  }
  render() {
    const p = this.phases[this.index];
    this.root.dataset.phase = this.finished ? "done" : p.kind;
    this.phase.textContent = this.finished ? "All intervals done" : `${p.label} ${fmt(this.left)}`;
    this.clock.textContent = this.finished ? fmt(0) : `${p.repeat}/${this.repeats}`;
    this.totalEl.textContent = `${this.repeats} × (run ${fmt(this.phases[0].seconds)}` +
      (this.phases[1]?.kind === "walk" ? ` + walk ${fmt(this.phases[1].seconds)}` : "") +
      `) = ${fmt(this.total)} in all · ${fmt(this.remaining())} left`;
    this.toggle.textContent = this.running ? "Pause" : this.finished ? "Again" : this.left < p.seconds || this.index ? "Resume" : "Start";
  }
}

// --- the global rating of change -----------------------------------------------------------
// Asked when the schedule says it is due (weeks 6 and 12 by default): one answer on a 7-point
// scale, -3 to +3, recorded through the outbox like the AKPS.
const GROC = [
  [3, "Much better"], [2, "Better"], [1, "A little better"], [0, "About the same"],
  [-1, "A little worse"], [-2, "Worse"], [-3, "Much worse"],
];

function openGroc() {
  $("groc-options").replaceChildren(...GROC.map(([v, label]) => el("label", { class: "check" },
    el("input", { type: "radio", name: "groc", value: String(v) }), `${label} (${v > 0 ? "+" : ""}${v})`)));
  $("groc-form").hidden = false;
  $("groc-result").replaceChildren();
  $("groc-form").scrollIntoView();
}

async function submitGroc(ev) {
  ev.preventDefault();
  const choice = document.querySelector("#groc-options input:checked")?.value;
  if (choice === undefined) {
    $("groc-result").replaceChildren(el("p", { class: "banner error" }, "Please choose one answer."));
    return;
  }
  $("groc-form").hidden = true;
  const label = GROC.find(([v]) => v === Number(choice))[1];
  await submit("outcome", { outcome: { program: store.program, kind: OutcomeKind.GLOBAL_RATING_OF_CHANGE, value: Number(choice) } },
    `Rating "${label}" of ${new Date().toLocaleString()}`);
}

// --- the AKPS questionnaire -----------------------------------------------------------------
// Shown as published (GetQuestionnaire), kept for offline use; the answers go through the
// outbox like a report (RecordOutcome, same request id on every retry).
async function openAkps() {
  let q;
  try {
    q = (await outcomes.getQuestionnaire({ name: "questionnaires/akps" }, auth())).questionnaire;
    localStorage.setItem("kc.akps", JSON.stringify(toJson(QuestionnaireSchema, q)));
  } catch (err) {
    const saved = localStorage.getItem("kc.akps");
    if (!saved || !transient(ConnectError.from(err))) return showError(describe(err));
    q = fromJson(QuestionnaireSchema, JSON.parse(saved));
  }
  $("akps-title").textContent = q.title;
  $("akps-items").replaceChildren(...q.items.map((item, i) => el("fieldset", { class: "akps-item" },
    el("legend", {}, `${i + 1}. ${item.title}`),
    item.options.map((o, j) => el("label", { class: "check" },
      el("input", { type: "radio", name: `akps-${i}`, value: String(j) }), o.label)))));
  $("akps-form").hidden = false;
  results.outcome.replaceChildren();
  $("akps-form").scrollIntoView();
}

async function submitAkps(ev) {
  ev.preventDefault();
  const sets = [...document.querySelectorAll("#akps-items fieldset")];
  const choices = sets.map((f) => f.querySelector("input:checked")?.value);
  const missing = choices.findIndex((c) => c === undefined);
  if (missing >= 0) {
    results.outcome.replaceChildren(el("p", { class: "banner error" }, `Please answer question ${missing + 1}.`));
    sets[missing].scrollIntoView();
    return;
  }
  $("akps-form").hidden = true;
  await submit("outcome", { outcome: { program: store.program, kind: OutcomeKind.AKPS, akpsChoices: choices.map(Number) } },
    `Knee questionnaire of ${new Date().toLocaleString()}`);
}

// --- report -----------------------------------------------------------------------------------
function renderOverrides() {
  $("overrides").replaceChildren(...(today?.items ?? []).map((item) => el("li", { dataset: { prescription: item.prescription } },
    el("div", {}, item.displayName || item.exercise),
    el("div", { class: "row" },
      el("label", { class: "check" }, el("input", { type: "checkbox", class: "skip" }), "not done"),
      el("label", { class: "check" }, "pain", el("input", { type: "number", class: "item-pain", min: "0", max: "10", inputMode: "numeric", placeholder: "same" }))),
    isRun(item) ? el("div", { class: "row run-fields" },
      item.dose?.runSeconds ? el("label", { class: "check" }, "rounds done", el("input", { type: "number", class: "rounds", min: "0", max: String(item.dose.sets), inputMode: "numeric", placeholder: String(item.dose.sets) })) : null,
      el("label", { class: "check" }, el("input", { type: "checkbox", class: "stopped" }), "stopped early"),
      el("label", { class: "check" }, "cadence", el("input", { type: "number", class: "cadence", min: "0", max: "250", inputMode: "numeric", placeholder: "steps/min" }))) : null,
  )));
}

// A return-to-run item: run/walk intervals in the dose, or one of the run stages' exercises.
function isRun(item) {
  return Boolean(item.dose?.runSeconds) || /\/run-walk-stage-/.test(item.exercise);
}

function doneAsPrescribed(d) {
  // The units the engine compares with the dose (as the CLI's --all-pain): sets; reps per
  // set; holds per set; seconds per set of continuous work.
  return {
    setsDone: d?.sets ?? 0,
    repsDone: d?.reps ?? 0,
    holdsDone: d?.holdSeconds ? (d.reps > 0 ? d.reps : d.sets) : 0,
    durationSecondsDone: d?.durationSeconds ?? 0,
  };
}

function buildReport() {
  const pain = Number($("pain").value);
  const after = $("pain-after").value;
  const allDone = $("all-done").checked;
  const items = today?.items ?? [];
  // Exercises not reported yet today; when every one is, all of them again (a second round).
  const everyDone = items.length > 0 && items.every((i) => i.done);
  const reports = [];
  for (const item of items) {
    const row = document.querySelector(`#overrides li[data-prescription="${CSS.escape(item.prescription)}"]`);
    if (row?.querySelector(".skip").checked) continue;
    if (item.done && !everyDone) continue;
    const own = row?.querySelector(".item-pain").value.trim();
    const done = doneAsPrescribed(item.dose);
    if (!allDone) Object.assign(done, { setsDone: 0, repsDone: 0, holdsDone: 0, durationSecondsDone: 0 });
    if (isRun(item) && row) {
      // Runs: rounds of run/walk done (the unit the engine counts), stopped early, cadence.
      const rounds = row.querySelector(".rounds")?.value.trim();
      if (rounds) done.setsDone = Number(rounds);
      if (row.querySelector(".stopped").checked) done.stoppedEarly = true;
      const cadence = row.querySelector(".cadence").value.trim();
      if (cadence) done.cadenceSpm = Number(cadence);
    }
    reports.push({
      prescription: item.prescription,
      ...done,
      painDuring: own ? Number(own) : pain,
      ...(after !== "" ? { painAfter1h: Number(after) } : {}),
    });
  }
  return reports;
}

// An optional 0-10 answer: absent when not given (the proto field is optional).
const optionalPain = (field, value) => (value === "" ? {} : { [field]: Number(value) });

// --- the outbox -------------------------------------------------------------------------------
const results = { report: $("report-result"), checkin: $("checkin-result"), outcome: $("akps-result") };
// Where a queued item's answer goes: a rating of change has its own place beside the AKPS's.
const resultBox = (kind, request) =>
  kind === "outcome" && request?.outcome?.kind === "OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE" ? $("groc-result") : results[kind];

// What each kind of queued item is, how it is sent, and how its answer is shown.
const kinds = {
  report: { schema: ReportSessionRequestSchema, send: (r) => sessions.reportSession(r, auth()), show: (res, item) => showReportResult(res, item) },
  checkin: { schema: ReportMorningCheckInRequestSchema, send: (r) => sessions.reportMorningCheckIn(r, auth()), show: (res, item) => showCheckInResult(res, item) },
  outcome: { schema: RecordOutcomeRequestSchema, send: (r) => outcomes.recordOutcome(r, auth()), show: (res, item) => showOutcomeResult(res, item) },
};

async function submit(kind, request, summary) {
  // The request id is fixed here, once, and travels with the item until the server answers.
  const requestId = newRequestId();
  const { schema } = kinds[kind];
  const message = create(schema, { ...request, requestId });
  enqueue({ kind, requestId, request: toJson(schema, message), summary, submittedAt: new Date().toISOString() });
  resultBox(kind, toJson(schema, message)).replaceChildren(el("p", { class: "muted", dataset: { testid: "queued" } },
    navigator.onLine ? "Sending…" : "Saved on this phone; it will be sent when you are online."));
  renderQueueCount();
  await sync();
}

let syncing = null;
function sync() {
  // One sync at a time (and one per browser when Web Locks exist), items strictly in order.
  if (!syncing) {
    const run = () => drain().finally(() => { syncing = null; renderQueueCount(); });
    syncing = navigator.locks ? navigator.locks.request("kc-sync", run) : run();
  }
  return syncing;
}

async function drain() {
  if (!store.token) return;
  for (const item of loadQueue()) {
    const kind = kinds[item.kind];
    if (!kind) {  // written by a later version of the app: leave it for that version
      continue;
    }
    try {
      const res = await kind.send(fromJson(kind.schema, item.request));
      removeFromQueue(item.requestId);
      kind.show(res, item);
      renderQueueCount();
    } catch (err) {
      const e = ConnectError.from(err);
      if (transient(e)) {
        resultBox(item.kind, item.request).replaceChildren(el("p", { class: "muted", dataset: { testid: "queued" } },
          navigator.onLine ? `Saved on this phone; sending again soon (${describe(e)}).`
            : "Saved on this phone; it will be sent when you are online."));
        return;  // keep it and everything after it, in order, for the next try
      }
      if (e.code === Code.Unauthenticated) {
        showError(describe(e));
        return;  // the items wait for a valid sign-in
      }
      // Rejected for good (invalid, not allowed, program paused): the server stored nothing.
      removeFromQueue(item.requestId);
      const text = `${item.summary} was not accepted.\n${describe(e)}`;
      resultBox(item.kind, item.request).replaceChildren(el("div", { class: "banner error", dataset: { testid: "rejected-item" } }, text));
      $("rejected").append(el("li", {}, text));
    }
  }
  if (loadQueue().length === 0) loadToday();
}

function light(tl) {
  const [cls, text] = {
    [TrafficLight.GREEN]: ["green", "GREEN"],
    [TrafficLight.AMBER]: ["amber", "AMBER"],
    [TrafficLight.RED]: ["red", "RED"],
  }[tl] ?? ["none", "no verdict yet"];
  return el("span", { class: `light ${cls}`, dataset: { testid: "traffic-light" } }, text);
}

// What the report changed, as the server wrote it for the patient: one sentence per kind
// of change for the whole report, then each decision (an exercise's line says whether it is
// already in the program or waits for the physiotherapist); no decision means the program
// stays as it is.
function decisionList(res) {
  const decisions = res.decisions;
  if (decisions.length === 0) {
    return el("p", { dataset: { testid: "no-change" } }, "No change to your program: keep the same dose.");
  }
  const details = [...(res.changeDetails ?? [])];
  const lines = decisions.map((d) =>
    d.prescription && d.exerciseBefore && details.length ? details.shift() : d.patientReason || d.rule);
  const summary = res.changeSummary ?? [];
  return el("div", {},
    summary.length ? el("p", { dataset: { testid: "change-summary" } }, summary.join(" ")) : null,
    el("ul", { dataset: { testid: "reasons" } },
      lines.map((text) => el("li", { dataset: { testid: "reason" } }, text))));
}

function showReportResult(res, item) {
  results.report.replaceChildren(el("div", { class: "banner" },
    el("p", {}, "Session recorded ", light(res.session?.trafficLight)),
    el("p", { class: "muted" }, item.summary),
    decisionList(res)));
}

function showCheckInResult(res, item) {
  const paused = res.decisions.some((d) => d.kind === DecisionKind.PAUSE);
  results.checkin.replaceChildren(el("div", { class: "banner" },
    el("p", {}, "Check-in recorded ", light(res.checkIn?.trafficLight)),
    el("p", { class: "muted" }, item.summary),
    paused ? el("p", { dataset: { testid: "paused" } }, "Your program is paused until your physiotherapist has seen you.") : null,
    decisionList(res)));
  // What the server tells the patient about each alert it raised (e.g. an urgent review).
  const advice = res.alerts.filter((a) => a.patientAdvice || a.pausedProgram);
  if (advice.length) {
    results.checkin.prepend(el("div", { class: "banner care", role: "alert", dataset: { testid: "alert-advice" } },
      advice.map((a) => el("p", {}, a.patientAdvice || "Your program is paused: your physiotherapist will contact you."))));
  }
  if (hasImmediateFlag(item.request.checkIn?.redFlags ?? [])) results.checkin.prepend(careBanner());
}

function showOutcomeResult(res, item) {
  if (res.outcome?.kind === OutcomeKind.GLOBAL_RATING_OF_CHANGE) {
    const v = res.outcome.value;
    $("groc-result").replaceChildren(el("div", { class: "banner", dataset: { testid: "groc-recorded" } },
      `Rating recorded: ${GROC.find(([g]) => g === v)?.[1] ?? v} (${v > 0 ? "+" : ""}${v}). Thank you.`,
      el("p", { class: "muted" }, item.summary)));
    $("groc-form").hidden = true;
    return;
  }
  results.outcome.replaceChildren(el("div", { class: "banner", dataset: { testid: "akps-score" } },
    `Questionnaire recorded: ${res.outcome?.value ?? "?"}/100. Thank you.`,
    el("p", { class: "muted" }, item.summary)));
  $("akps-form").hidden = true;
}

function renderQueueCount() {
  const n = loadQueue().length;
  $("queue-count").textContent = n ? `${n} waiting to sync` : "";
  $("net").textContent = navigator.onLine ? "" : "offline";
}

// --- morning check-in -------------------------------------------------------------------------
const IMMEDIATE = new Set([RedFlag.HOT_SWOLLEN_KNEE_WITH_FEVER, RedFlag.CANNOT_BEAR_WEIGHT_AFTER_TRAUMA,
  RedFlag.CANNOT_STRAIGHT_LEG_RAISE_AFTER_TRAUMA, RedFlag.KNEECAP_DISLOCATION, RedFlag.CALF_SWELLING_NUMBNESS_OR_COLD_FOOT]);
const flagText = {
  [RedFlag.HOT_SWOLLEN_KNEE_WITH_FEVER]: "Knee hot, red and swollen, with fever or feeling unwell",
  [RedFlag.CANNOT_BEAR_WEIGHT_AFTER_TRAUMA]: "Cannot put weight on the leg after a fall or knock",
  [RedFlag.CANNOT_STRAIGHT_LEG_RAISE_AFTER_TRAUMA]: "Cannot lift the straight leg after a fall or knock",
  [RedFlag.KNEECAP_DISLOCATION]: "Kneecap slipped out of place",
  [RedFlag.CALF_SWELLING_NUMBNESS_OR_COLD_FOOT]: "Calf swollen, numbness, or a cold foot",
  [RedFlag.NEW_SWELLING]: "New swelling of the knee",
  [RedFlag.TRUE_LOCKING]: "Knee locks and will not straighten",
  [RedFlag.GIVING_WAY]: "Knee gives way",
  [RedFlag.NEW_TRAUMA]: "A new injury to the knee",
  [RedFlag.NIGHT_OR_CONSTANT_REST_PAIN]: "Pain at night or constant pain at rest",
  [RedFlag.UNEXPLAINED_WEIGHT_LOSS_OR_CANCER_HISTORY]: "Weight loss you cannot explain, or a history of cancer",
  [RedFlag.FOCAL_BONE_PAIN_OR_LUMP]: "Pain in one spot of a bone, or a lump",
  [RedFlag.ADOLESCENT_HIP_OR_GROIN_PAIN_OR_LIMP]: "Under 18 with hip or groin pain or a limp",
  [RedFlag.PAIN_RISING_FAST_OR_ABOVE_SEVEN]: "Pain rising fast, or above 7/10 for a while",
  [RedFlag.LONG_MORNING_STIFFNESS_OR_SEVERAL_JOINTS]: "Morning stiffness over 30 minutes, or several joints",
};
const hasImmediateFlag = (flags) => flags.some((f) => IMMEDIATE.has(typeof f === "number" ? f : RedFlag[f.replace(/^RED_FLAG_/, "")]));

function careBanner() {
  return el("div", { class: "banner care", role: "alert", dataset: { testid: "seek-care" } },
    "Seek medical care today (your doctor, an urgent care centre, or the emergency department). " +
    "Stop your exercises; your program is paused and your physiotherapist is told.");
}

function renderFlags() {
  for (const v of RedFlagSchema.values) {
    if (v.number === RedFlag.UNSPECIFIED) continue;
    const box = el("input", { type: "checkbox", class: "flag", value: String(v.number), name: v.name });
    $(IMMEDIATE.has(v.number) ? "flags-now" : "flags-urgent")
      .append(el("label", { class: "check" }, box, flagText[v.number] ?? v.name));
  }
}

// --- wiring -----------------------------------------------------------------------------------
function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== `tab-${name}`;
}

function showSignedIn(signedIn) {
  $("signin").hidden = signedIn;
  $("app").hidden = !signedIn;
}

function wire() {
  for (const id of ["pain-after", "usual-pain", "worst-pain"]) {
    for (let i = 0; i <= 10; i++) $(id).append(el("option", { value: String(i) }, `${i}/10`));
  }
  renderFlags();
  for (const b of document.querySelectorAll(".tabs button")) b.onclick = () => showTab(b.dataset.tab);
  $("pain").oninput = () => { $("pain-out").textContent = $("pain").value; $("report-submit").disabled = false; };
  $("morning-pain").oninput = () => { $("morning-out").textContent = $("morning-pain").value; $("checkin-submit").disabled = false; };
  $("signin-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector("button");
    button.disabled = true;
    try {
      await signIn($("credential").value);
      $("credential").value = "";
      showError("");
      showSignedIn(true);
      await loadToday();
      sync();
    } catch (err) {
      showError(describe(err));
    } finally {
      button.disabled = false;
    }
  };
  $("report-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const reports = buildReport();
    if (reports.length === 0) {
      results.report.replaceChildren(el("p", { class: "banner error" }, "Nothing to report: every exercise is marked not done."));
      return;
    }
    const pain = $("pain").value;
    $("report-submit").disabled = true;
    await submit("report", { program: store.program, reports, performTime: timestampFromDate(new Date()) },
      `Session of ${new Date().toLocaleString()}, pain ${pain}/10`);
    $("report-submit").disabled = false;
  };
  $("checkin-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const flags = [...document.querySelectorAll(".flag:checked")].map((b) => Number(b.value));
    const immediate = hasImmediateFlag(flags);
    $("checkin-submit").disabled = true;
    const pending = submit("checkin", {
      checkIn: {
        program: store.program,
        morningPain: Number($("morning-pain").value),
        test: Number($("morning-test").value),
        swelling: $("swelling").checked,
        locking: $("locking").checked,
        givingWay: $("giving-way").checked,
        redFlags: flags,
        ...optionalPain("usualPain", $("usual-pain").value),
        ...optionalPain("worstPain", $("worst-pain").value),
      },
    }, `Morning check-in of ${new Date().toLocaleString()}, pain ${$("morning-pain").value}/10` +
      ($("usual-pain").value !== "" ? `, usual ${$("usual-pain").value}/10` : "") +
      ($("worst-pain").value !== "" ? `, worst ${$("worst-pain").value}/10` : ""));
    // The advice does not wait for the network.
    if (immediate) results.checkin.prepend(careBanner());
    await pending;
    if (immediate && !results.checkin.querySelector("[data-testid=seek-care]")) results.checkin.prepend(careBanner());
    $("checkin-submit").disabled = false;
  };
  $("akps-form").onsubmit = submitAkps;
  $("groc-form").onsubmit = submitGroc;
  $("refresh").onclick = () => loadToday();
  $("sync-now").onclick = () => sync();
  $("signout").onclick = () => {
    // The outbox belongs to this patient: sending it later with someone else's token
    // would be refused, so signing out with unsent items asks first and then drops them.
    const n = loadQueue().length;
    if (n && !confirm(`${n} not sent yet: signing out deletes ${n === 1 ? "it" : "them"}. Sign out?`)) return;
    for (const i of loadQueue()) removeFromQueue(i.requestId);
    store.token = null; store.program = null; store.today = null;
    localStorage.removeItem("kc.akps");
    renderQueueCount();
    showSignedIn(false);
  };
  addEventListener("online", () => { renderQueueCount(); sync(); });
  addEventListener("offline", renderQueueCount);
}

async function main() {
  wire();
  renderQueueCount();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  if (store.token && !store.program) {
    // Enrolled, but the program was not found yet (e.g. the network went away).
    try {
      await finishSignIn(store.token);
    } catch (err) {
      showError(describe(err));
    }
  }
  if (!store.token || !store.program) {
    showSignedIn(false);
    return;
  }
  showSignedIn(true);
  await loadToday();
  await sync();  // on start: whatever waited while the app was closed
}

window.kneecoach = { sync, loadQueue, enqueue, describe };  // for tests and debugging
main();

// The kneecoach patient web app: sign in, today's session with timers, a pain report in
// seconds, the morning check-in, and an offline outbox that syncs without double counting.
// Every call goes through the gateway (Connect protocol) to the kneecoach gRPC server.
import { create, fromJson, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

import { AccessService } from "../../gen/kneecoach/v1/access_pb.js";
import { DecisionKind, DecisionState } from "../../gen/kneecoach/v1/decision_pb.js";
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
// "INVALID_ARGUMENT" from Code.InvalidArgument: the gRPC name, for logs only, never shown.
export function codeName(code) {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

// What each field of a request is called on the form.
const fieldWords = {
  pain_during: "Pain during the exercise", pain_after_1h: "Pain 1 hour after",
  sets_done: "Sets done", reps_done: "Repetitions done", holds_done: "Holds done",
  duration_seconds_done: "Time done", cadence_spm: "Steps per minute",
  morning_pain: "Pain during the morning test", usual_pain: "Usual pain", worst_pain: "Worst pain",
  perform_time: "The time of the session", akps_choices: "An answer of the questionnaire",
  value: "The answer",
};

// One field violation in plain words: which value, of which exercise, and what is allowed.
function violationText(v, request) {
  const m = v.field.match(/(?:^|\.)reports\[(\d+)\]\.(\w+)$/);
  const leaf = v.field.split(".").pop().replace(/\[\d+\]$/, "");
  let what = fieldWords[leaf] ?? "A value";
  if (m) {
    const report = request?.reports?.[Number(m[1])];
    const item = today?.items.find((i) => i.prescription === report?.prescription);
    if (item) what += ` (${item.displayName || item.exercise})`;
  }
  const range = v.description.match(/range (-?\d+)\s*\.\.\s*(-?\d+)/);
  return `${what}: ${range ? `use a number from ${range[1]} to ${range[2]}` : "this value was not accepted"}.`;
}

// The error as the patient sees it: what happened and what to do, never a status code or
// the server's own wording; `fields` are the field violations (google.rpc.BadRequest).
function plainError(err, request) {
  const e = ConnectError.from(err);
  const fields = e.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations)
    .map((v) => ({ field: v.field, text: violationText(v, request) }));
  const text = {
    [Code.Unauthenticated]: "You are signed out: this code or sign-in is not valid (any more). " +
      "Ask your physiotherapist for a new code and sign in with it.",
    [Code.PermissionDenied]: "This sign-in cannot do that. Sign in with the code your physiotherapist gave you.",
    [Code.InvalidArgument]: "Some answers were not accepted. Please correct them and send again.",
    [Code.FailedPrecondition]: "Your program is paused, so this was not recorded. " +
      "Your physiotherapist will tell you when to start again.",
    [Code.NotFound]: "Your program was not found. Ask your physiotherapist to check it.",
    [Code.ResourceExhausted]: "Too many tries in a short time. Wait a minute, then try again.",
    [Code.DeadlineExceeded]: "The server took too long to answer. Try again in a moment.",
    [Code.Unavailable]: navigator.onLine
      ? "The kneecoach server cannot be reached right now (it may be restarting). Try again in a few minutes."
      : "This phone is offline. Connect to the internet and try again.",
  }[e.code] ?? "Something went wrong on our side. Try again later; if it keeps happening, tell your physiotherapist.";
  return { text, fields, code: e.code };
}

function describe(err, request) {
  const { text, fields } = plainError(err, request);
  return [text, ...fields.map((f) => `• ${f.text}`)].join("\n");
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
  if (!program) throw new ConnectError("no program yet: ask your physiotherapist to create one", Code.NotFound);
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
    checkReminderDue();
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

// Whether the program is paused: no exercises, no report, no questionnaire until it resumes.
const paused = () => Boolean(today?.programPaused);

function renderToday(offline, savedAt) {
  const s = today;
  $("today-meta").textContent = [
    s.localDate && new Date(`${s.localDate}T12:00:00`).toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long" }),
    s.programDay && `day ${s.programDay} of your program`,
    offline && `saved copy from ${new Date(savedAt).toLocaleString()} (offline)`,
  ].filter(Boolean).join(" · ");
  const message = $("today-message");
  message.hidden = !(s.message || s.programPaused);
  message.className = s.programPaused ? "banner warn" : "banner";
  message.replaceChildren();
  if (s.programPaused) {
    message.append(el("h2", {}, "Your program is paused"),
      el("p", {}, (s.message || "Your physiotherapist paused it to check on your knee. Do not do your " +
        "exercises until your physiotherapist tells you to start again.").replace(/^Your program is paused:\s*/i, "")),
      el("p", {}, "If your knee gets much worse, contact your doctor."));
  } else if (s.message) {
    message.append(s.message);
  }
  $("tab-button-report").hidden = s.programPaused;
  $("report-paused").hidden = !s.programPaused;
  $("report-form").hidden = s.programPaused;
  if (s.programPaused) {
    $("akps-form").hidden = true;
    $("groc-form").hidden = true;
  }
  const due = s.programPaused ? [] : s.outcomesDue.map((k) => outcomeNames[k] ?? "a check of your progress");
  $("outcomes-due").hidden = due.length === 0;
  $("outcomes-due").textContent = due.length ? `Due today: ${due.join(", ")}.` : "";
  const akpsDue = !s.programPaused && s.outcomesDue.includes(OutcomeKind.AKPS);
  if (akpsDue && !queuedOutcome(OutcomeKind.AKPS)) {
    $("outcomes-due").append(" ", el("button", { type: "button", class: "secondary", dataset: { testid: "akps-open" }, onclick: openAkps }, "Fill in the questionnaire"));
  }
  const grocDue = !s.programPaused && s.outcomesDue.includes(OutcomeKind.GLOBAL_RATING_OF_CHANGE);
  if (grocDue && !queuedOutcome(OutcomeKind.GLOBAL_RATING_OF_CHANGE)) {
    $("outcomes-due").append(" ", el("button", { type: "button", class: "secondary", dataset: { testid: "groc-open" }, onclick: openGroc }, "Rate your knee"));
  } else {
    $("groc-form").hidden = true;
  }
  for (const t of timers.values()) t.stop();
  timers.clear();
  const shown = s.programPaused ? [] : s.items;  // paused: no loading at all
  $("items").replaceChildren(...shown.map((item, i) => el("li", { dataset: { prescription: item.prescription } },
    el("h3", {}, item.displayName || item.exercise, item.done ? el("span", { class: "done-tag" }, "✓ done") : null,
      item.optional ? el("span", { class: "muted" }, " (optional)") : null),
    el("div", { class: "dose" }, doseText(item.dose)),
    item.summary ? el("p", {}, item.summary) : null,
    item.cues.length ? el("ul", {}, item.cues.map((c) => el("li", {}, c))) : null,
    timerFor(item, i),
  )));
  $("cards").replaceChildren(...(s.programPaused ? [] : s.educationCards).map((c) =>
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
  const t = new HoldTimer(work, holds, Math.max(1, d.sets), d.restSeconds, d.perSide ? 2 : 1);
  t.root.dataset.kind = d.holdSeconds ? "hold" : "duration";
  timers.set(index, t);
  return t.root;
}

// Keeps the screen on while a timer runs (Screen Wake Lock, where the browser has it).
const wakeLock = {
  holders: 0,
  sentinel: null,
  async acquire() {
    this.holders++;
    try { this.sentinel ??= await navigator.wakeLock?.request("screen"); } catch { /* not allowed: fine */ }
  },
  release() {
    this.holders = Math.max(0, this.holders - 1);
    if (this.holders === 0) { this.sentinel?.release().catch(() => {}); this.sentinel = null; }
  },
};

// "each side" doses: every set is done on one side, then (with a cue) on the other.
class HoldTimer {
  constructor(work, holds, sets, rest, sides = 1) {
    Object.assign(this, { work, holds, sets, rest, sides });
    this.clock = el("span", { class: "clock", dataset: { testid: "timer-clock" } });
    this.phase = el("span", { class: "phase", dataset: { testid: "timer-phase" } });
    this.toggle = el("button", { type: "button", dataset: { testid: "timer-toggle" }, onclick: () => this.running ? this.pause() : this.start() });
    this.reset = el("button", { type: "button", class: "secondary", onclick: () => this.restart() }, "Reset");
    this.root = el("div", { class: "timer" }, this.clock, this.phase, this.toggle, this.reset);
    this.restart();
  }
  restart() {
    this.stop();
    Object.assign(this, { set: 1, side: 1, hold: 1, resting: false, left: this.work, finished: false, switched: false });
    this.render();
  }
  start() {
    if (this.finished) this.restart();
    this.running = true;
    this.last = Date.now();
    this.interval = setInterval(() => this.tick(), 200);
    wakeLock.acquire();
    this.render();
  }
  pause() { this.stop(); this.render(); }
  stop() {
    clearInterval(this.interval);
    if (this.running) wakeLock.release();
    this.running = false;
  }
  tick() {
    // Wall clock: a page suspended for a while (screen locked) catches up on the next tick.
    const now = Date.now();
    this.left -= (now - this.last) / 1000;
    this.last = now;
    while (this.left <= 0 && !this.finished) this.advance();
    this.render();
  }
  advance() {
    const carry = this.left;  // <= 0: time already spent in the next phase
    if (this.resting) {
      Object.assign(this, { resting: false, set: this.set + 1, side: 1, hold: 1, left: this.work + carry });
    } else if (this.hold < this.holds) {
      Object.assign(this, { hold: this.hold + 1, left: this.work + carry });
    } else if (this.side < this.sides) {
      Object.assign(this, { side: this.side + 1, hold: 1, left: this.work + carry, switched: true });
      navigator.vibrate?.([150, 100, 150]);
    } else if (this.set < this.sets) {
      if (this.rest > 0) Object.assign(this, { resting: true, left: this.rest + carry });
      else Object.assign(this, { set: this.set + 1, side: 1, hold: 1, left: this.work + carry });
    } else {
      Object.assign(this, { left: 0, finished: true });
      this.stop();
      navigator.vibrate?.(300);
    }
    if (!this.finished) navigator.vibrate?.(100);
  }
  render() {
    this.clock.textContent = fmt(this.left);
    const sideWords = this.sides > 1 ? ` · ${this.side === 1 ? "first" : "second"} side` : "";
    this.phase.textContent = this.finished ? "All sets done" :
      this.resting ? `Rest before set ${this.set + 1}` :
      (this.switched && this.side === 2 && this.hold === 1 && this.left > this.work - 3 ? "Switch sides! " : "") +
      `Set ${this.set}/${this.sets}${sideWords}` + (this.holds > 1 ? ` · hold ${this.hold}/${this.holds}` : "");
    this.root.dataset.side = String(this.side);
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
    wakeLock.acquire();
    this.render();
  }
  pause() { this.stop(); this.render(); }
  stop() {
    clearInterval(this.interval);
    if (this.running) wakeLock.release();
    this.running = false;
  }
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
// One row per exercise: done / partly / not done, and its own pain (the session's pain
// unless changed). Every row starts as "done" (an exercise already reported today starts as
// "not done", unless all of them were: then a second round), so the defaults are on screen.
const painOptions = (first) => [el("option", { value: "" }, first),
  ...Array.from({ length: 11 }, (_, i) => el("option", { value: String(i) }, `${i}/10`))];

// What "partly" counts for this exercise: rounds, minutes (one continuous set) or sets.
function partUnit(item) {
  const d = item.dose ?? {};
  if (d.runSeconds) return { cls: "rounds", label: `Rounds done (of ${d.sets})`, max: d.sets };
  if (d.durationSeconds && d.sets <= 1) {
    const minutes = Math.max(1, Math.round(d.durationSeconds / 60));
    return { cls: "minutes", label: `Minutes done (of ${minutes})`, max: minutes };
  }
  return { cls: "sets-done", label: `Sets done (of ${d.sets || 1})`, max: d.sets || 1 };
}

function renderOverrides() {
  renderRows();
  if (refusedFields) markReportFields(refusedFields.fields, refusedFields.request);
}

function renderRows() {
  const items = today?.items ?? [];
  const everyDone = items.length > 0 && items.every((i) => i.done);
  $("overrides").replaceChildren(...items.map((item, i) => {
    const unit = partUnit(item);
    const initial = item.done && !everyDone ? "not" : "done";
    const status = (value, text) => el("label", { class: "seg-option" },
      el("input", { type: "radio", name: `status-${i}`, value, class: "status", checked: value === initial }), text);
    const part = el("div", { class: "partly", hidden: true },
      el("label", { for: `part-${i}` }, unit.label),
      el("input", { type: "number", id: `part-${i}`, class: `part ${unit.cls}`, min: "0", max: String(Math.max(0, unit.max - (unit.cls === "minutes" ? 0 : 1))),
        inputMode: "numeric", step: "1" }));
    const row = el("li", { dataset: { prescription: item.prescription } },
      el("fieldset", { class: "exercise" },
        el("legend", {}, item.displayName || item.exercise),
        item.done && !everyDone ? el("p", { class: "muted" }, "Already reported today.") : null,
        el("div", { class: "seg" }, status("done", "Done"), status("partly", "Partly"), status("not", "Not done")),
        part,
        el("label", { for: `item-pain-${i}` }, "Pain during this exercise"),
        el("select", { id: `item-pain-${i}`, class: "item-pain" }, painOptions("same as above")),
        isRun(item) ? el("div", { class: "run-fields" },
          el("label", { class: "check" }, el("input", { type: "checkbox", class: "stopped" }), "Stopped early"),
          el("label", { for: `cadence-${i}` }, "Steps per minute (if you measured them)"),
          el("input", { type: "number", id: `cadence-${i}`, class: "cadence", min: "100", max: "250", inputMode: "numeric" })) : null));
    for (const r of row.querySelectorAll(".status")) {
      r.onchange = () => { part.hidden = row.querySelector(".status:checked").value !== "partly"; };
    }
    return row;
  }));
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

// Shows `text` under the field `input` (and tells assistive technology), or clears it.
function fieldError(input, text) {
  const id = `${input.id}-error`;
  document.getElementById(id)?.remove();
  input.removeAttribute("aria-invalid");
  input.removeAttribute("aria-describedby");
  if (!text) return;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
  input.after(el("p", { id, class: "field-error", dataset: { testid: "field-error" } }, text));
}

// The reports for ReportSession, and what they say in words; null (with the fields marked)
// when a "partly" count is missing or out of range.
function buildReport() {
  const pain = Number($("pain").value);
  const after = $("pain-after").value;
  const reports = [];
  const counts = { done: 0, partly: [], not: 0 };
  let firstBad = null;
  for (const item of today?.items ?? []) {
    const row = document.querySelector(`#overrides li[data-prescription="${CSS.escape(item.prescription)}"]`);
    if (!row) continue;
    const status = row.querySelector(".status:checked")?.value ?? "done";
    const partInput = row.querySelector(".part");
    fieldError(partInput, "");
    if (status === "not") { counts.not++; continue; }
    const done = doneAsPrescribed(item.dose);
    const name = item.displayName || item.exercise;
    if (status === "partly") {
      const unit = partUnit(item);
      const max = unit.cls === "minutes" ? unit.max : unit.max - 1;
      const raw = partInput.value.trim();
      const n = Number(raw);
      if (raw === "" || !Number.isInteger(n) || n < 0 || n > max) {
        fieldError(partInput, `Type how much you did: a whole number from 0 to ${max}.`);
        firstBad ??= partInput;
        continue;
      }
      if (unit.cls === "minutes") done.durationSecondsDone = n * 60;
      else done.setsDone = n;
      counts.partly.push(`${name}: ${n} of ${unit.max} ${unit.cls === "minutes" ? "minutes" : unit.cls === "rounds" ? "rounds" : "sets"}`);
    } else {
      counts.done++;
    }
    if (isRun(item)) {
      if (row.querySelector(".stopped").checked) done.stoppedEarly = true;
      const cadence = row.querySelector(".cadence").value.trim();
      if (cadence) done.cadenceSpm = Number(cadence);
    }
    const own = row.querySelector(".item-pain").value;
    reports.push({
      prescription: item.prescription,
      ...done,
      painDuring: own !== "" ? Number(own) : pain,
      ...(after !== "" ? { painAfter1h: Number(after) } : {}),
    });
  }
  if (firstBad) {
    firstBad.focus();
    return null;
  }
  const words = [
    counts.done && `${counts.done} done`,
    counts.partly.length && `${counts.partly.length} partly (${counts.partly.join("; ")})`,
    counts.not && `${counts.not} not done`,
  ].filter(Boolean).join(", ");
  return { reports, words: `${words}; pain ${pain}/10` + (after !== "" ? `, ${after}/10 an hour after` : "") };
}

function resetReportForm() {
  refusedFields = null;
  $("pain").value = "0";
  $("pain").dispatchEvent(new Event("input"));
  $("pain-after").value = "";
  renderOverrides();
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
          navigator.onLine ? "Saved on this phone. The server cannot be reached right now; it will be sent as soon as it can."
            : "Saved on this phone; it will be sent when you are online."));
        return;  // keep it and everything after it, in order, for the next try
      }
      if (e.code === Code.Unauthenticated) {
        showError(describe(e) + " What you sent is kept on this phone until then.");
        return;  // the items wait for a valid sign-in
      }
      // Rejected for good (invalid, not allowed, program paused): the server stored nothing.
      removeFromQueue(item.requestId);
      const request = item.kind === "report" ? fromJson(ReportSessionRequestSchema, item.request) : null;
      const text = `Not recorded: your ${item.summary}.\n${describe(e, request)}`;
      const box = resultBox(item.kind, item.request);
      box.replaceChildren(el("div", { class: "banner error", role: "alert", dataset: { testid: "rejected-item" } }, text));
      if (request) markReportFields(plainError(e, request).fields, request);
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

// Puts each field violation of a rejected report next to its field on the form.
// The last refused fields stay marked when the form is drawn again (a refresh of today),
// until the patient sends again.
let refusedFields = null;
function markReportFields(fields, request) {
  refusedFields = { fields, request };
  for (const f of fields) {
    const m = f.field.match(/reports\[(\d+)\]\.(\w+)$/);
    const prescription = m && request.reports[Number(m[1])]?.prescription;
    const row = prescription && document.querySelector(`#overrides li[data-prescription="${CSS.escape(prescription)}"]`);
    if (!row) continue;
    const input = m[2].startsWith("pain") ? row.querySelector(".item-pain") : row.querySelector(".part");
    if (m[2] === "pain_during") input.value = "";
    fieldError(input, f.text);
  }
}

// What a kind of change means to the patient: [applied sentence, proposed sentence], for n
// exercises (program-level kinds ignore n).
const changeWords = {
  [DecisionKind.PROGRESS]: ["a harder step next time", "a harder step"],
  [DecisionKind.HOLD]: ["the same dose next time", "keeping the same dose"],
  [DecisionKind.REGRESS]: ["an easier version next time", "an easier plan"],
  [DecisionKind.SWAP_TO_ISOMETRIC]: ["a gentler hold instead next time", "switching to gentler holds"],
  [DecisionKind.SIMPLIFY]: ["a simpler version next time", "a simpler plan"],
  [DecisionKind.ADVANCE_STAGE]: ["the next running stage", "the next running stage"],
  [DecisionKind.STEP_BACK_STAGE]: ["an easier running stage", "an easier running stage"],
  [DecisionKind.REST_FROM_RUNNING]: ["a rest from running", "a rest from running"],
  [DecisionKind.CHANGE_PHASE]: ["the next phase of your program", "moving you to the next phase"],
  [DecisionKind.CADENCE_STEP]: ["a new step rate for your runs", "a new step rate for your runs"],
  [DecisionKind.CLINICIAN_OVERRIDE]: ["a change from your physiotherapist", "a change"],
};
const exercisesWord = (n) => (n === 1 ? "1 exercise" : `${n} exercises`);

// The decisions as one sentence per kind of change (applied or waiting for the
// physiotherapist), with each exercise's reason folded below.
function decisionSummary(decisions) {
  const shown = decisions.filter((d) => d.kind !== DecisionKind.PAUSE && d.kind !== DecisionKind.RESUME &&
    (d.state === DecisionState.APPLIED || d.state === DecisionState.PROPOSED));
  if (shown.length === 0) {
    return el("p", { dataset: { testid: "no-change" } }, "No change to your program: keep the same dose.");
  }
  const groups = new Map();
  for (const d of shown) {
    const key = `${d.state}:${d.kind}`;
    if (!groups.has(key)) groups.set(key, { state: d.state, kind: d.kind, list: [] });
    groups.get(key).list.push(d);
  }
  const nameOf = (d) => today?.items.find((i) => i.prescription === d.prescription)?.displayName ||
    d.exerciseBefore?.split("/").pop() || "";
  return el("div", { dataset: { testid: "changes" } }, [...groups.values()].map((g) => {
    const [applied, proposed] = changeWords[g.kind] ?? ["a change", "a change"];
    const n = g.list.filter((d) => d.prescription).length;
    const of = n ? ` for ${exercisesWord(n)}` : "";
    const sentence = g.state === DecisionState.PROPOSED
      ? `Your physiotherapist will review ${proposed}${of}. Until then, keep today's plan.`
      : g.kind === DecisionKind.HOLD ? `Keep the same dose next time${of}.` : `Changed: ${applied}${of}.`;
    return el("div", { class: "change", dataset: { testid: g.state === DecisionState.PROPOSED ? "change-proposed" : "change-applied" } },
      el("p", {}, sentence),
      el("details", {}, el("summary", {}, "Details"),
        el("ul", {}, g.list.map((d) => el("li", { dataset: { testid: "reason" } },
          [nameOf(d), d.patientReason || d.rule].filter(Boolean).join(": "))))));
  }));
}

function showResult(box, children) {
  box.replaceChildren(...children);
  box.scrollIntoView({ block: "start" });
  box.focus({ preventScroll: true });
}

function showReportResult(res, item) {
  showResult(results.report, [el("div", { class: "banner ok" },
    el("p", {}, el("strong", {}, "Report recorded. "), "Today's result: ", light(res.session?.trafficLight)),
    el("p", { dataset: { testid: "sent-summary" } }, `You sent: ${item.summary}.`),
    decisionSummary(res.decisions))]);
}

function showCheckInResult(res, item) {
  const pausedNow = res.decisions.some((d) => d.kind === DecisionKind.PAUSE && d.state === DecisionState.APPLIED) ||
    res.alerts.some((a) => a.pausedProgram);
  const immediate = hasImmediateFlag(item.request.checkIn?.redFlags ?? []);
  // The advice leads, once: "seek care today" for an immediate red flag, else what the
  // server wrote for the patient on its alerts.
  const advice = immediate ? [careText] : [...new Set(res.alerts.map((a) => a.patientAdvice).filter(Boolean))];
  const children = [];
  if (advice.length) {
    children.push(el("div", { class: "banner care", role: "alert", dataset: { testid: immediate ? "seek-care" : "alert-advice" } },
      advice.map((a) => el("p", {}, a))));
  }
  if (pausedNow) {
    children.push(el("p", { class: "banner warn", dataset: { testid: "paused" } },
      "Your program is paused until your physiotherapist has checked on you. Do not do your exercises until then."));
  }
  children.push(el("div", { class: "banner ok" },
    el("p", {}, el("strong", {}, "Check-in recorded. "), pausedNow ? null : ["Today's result: ", light(res.checkIn?.trafficLight)]),
    el("p", { class: "muted" }, `You sent: ${item.summary}.`),
    pausedNow ? null : decisionSummary(res.decisions)));
  if (pausedNow && !immediate) {  // an immediate flag's advice already says why
    const reasons = res.decisions.filter((d) => d.kind === DecisionKind.PAUSE && d.patientReason && !advice.includes(d.patientReason));
    if (reasons.length) children.at(-1).append(el("ul", {}, reasons.map((d) => el("li", { dataset: { testid: "reason" } }, d.patientReason))));
  }
  showResult(results.checkin, children);
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

const careText = "Seek medical care today (your doctor, an urgent care centre, or the emergency department). " +
  "Stop your exercises; your program is paused and your physiotherapist is told.";

function careBanner() {
  return el("div", { class: "banner care", role: "alert", dataset: { testid: "seek-care" } }, el("p", {}, careText));
}

function renderFlags() {
  for (const v of RedFlagSchema.values) {
    if (v.number === RedFlag.UNSPECIFIED) continue;
    const box = el("input", { type: "checkbox", class: "flag", value: String(v.number), name: v.name });
    $(IMMEDIATE.has(v.number) ? "flags-now" : "flags-urgent")
      .append(el("label", { class: "check" }, box, el("span", {}, flagText[v.number] ?? v.name)));
  }
}

// Said before sending: a ticked red flag pauses the program.
function renderFlagWarning() {
  const ticked = document.querySelectorAll(".flag:checked").length;
  $("flags-warning").hidden = ticked === 0;
  $("flags-warning").textContent = ticked === 0 ? "" : hasImmediateFlag([...document.querySelectorAll(".flag:checked")].map((b) => Number(b.value)))
    ? "You ticked a sign that needs medical care today. Sending this pauses your program and tells your physiotherapist."
    : "You ticked a warning sign. Sending this pauses your program until your physiotherapist has checked on you.";
  $("checkin-submit").textContent = ticked ? "Send check-in and pause my program" : "Send check-in";
}

// --- reminders -------------------------------------------------------------------------------
// The patient picks a time of day. Three ways, from the strongest the phone allows:
// a notification from the service worker (Periodic Background Sync, Chromium with the app
// installed and notifications allowed); a calendar file (.ics, daily at that time, with a
// link back) that every phone's calendar takes; and, always, a note on opening the app
// after that time when today's exercises are not done yet.
const reminderKey = "kc.reminder";
const localDate = (d = new Date()) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

// The settings the service worker reads (it has no localStorage): in the Cache API.
async function shareWithWorker(settings) {
  try {
    const cache = await caches.open("kc-settings");
    await cache.put("/settings/reminder", new Response(JSON.stringify(settings), { headers: { "content-type": "application/json" } }));
  } catch { /* no Cache API: only the reminder on opening */ }
}

// A calendar file with one daily event at `time` (floating local time), linking back.
export function reminderIcs(time, origin, now = new Date()) {
  const [h, m] = time.split(":");
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const day = localDate(now).replace(/-/g, "");
  return [
    "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kneecoach//reminder//EN", "CALSCALE:GREGORIAN",
    "BEGIN:VEVENT", `UID:kneecoach-reminder-${day}${h}${m}@${new URL(origin).hostname}`, `DTSTAMP:${stamp}`,
    `DTSTART:${day}T${h}${m}00`, "DURATION:PT20M", "RRULE:FREQ=DAILY",
    "SUMMARY:Knee exercises (kneecoach)", `DESCRIPTION:Today's exercises: ${origin}/`, `URL:${origin}/`,
    "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Knee exercises", "TRIGGER:PT0M", "END:VALARM",
    "END:VEVENT", "END:VCALENDAR", "",
  ].join("\r\n");
}

async function saveReminder(time) {
  localStorage.setItem(reminderKey, time);
  const parts = [`Reminder set for ${time} every day.`];
  await shareWithWorker({ time, doneDate: todayDone() ? localDate() : null });
  try {
    const registration = await navigator.serviceWorker?.ready;
    if (registration?.periodicSync && "Notification" in window &&
        (await Notification.requestPermission()) === "granted") {
      await registration.periodicSync.register("kc-reminder", { minInterval: 60 * 60 * 1000 });
      parts.push("This phone will also show a notification.");
    } else {
      parts.push("This browser cannot notify: add it to your calendar below, and the app reminds you when you open it.");
    }
  } catch {
    parts.push("This browser cannot notify: add it to your calendar below, and the app reminds you when you open it.");
  }
  renderReminder(parts.join(" "));
}

function renderReminder(stateText) {
  const time = localStorage.getItem(reminderKey);
  if (time) $("reminder-time").value = time;
  $("reminder-state").textContent = stateText ?? (time ? `Reminder set for ${time} every day.` : "No reminder set.");
  const link = $("reminder-ics");
  link.hidden = !time;
  if (time) link.href = `data:text/calendar;charset=utf-8,${encodeURIComponent(reminderIcs(time, location.origin))}`;
}

// Whether today's exercises are reported (every item done).
const todayDone = () => Boolean(today?.items.length) && today.items.every((i) => i.done);

// On opening: past the reminder's time, today not done, program not paused.
function checkReminderDue() {
  const time = localStorage.getItem(reminderKey);
  const now = new Date();
  const due = Boolean(time) && today && !paused() && !todayDone() &&
    `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}` >= time;
  $("reminder-due").hidden = !due;
  $("reminder-due").textContent = due ? `It is past ${time}: today's exercises are not done yet.` : "";
  if (today) shareWithWorker({ time, doneDate: todayDone() ? localDate() : null });
}

// --- progress -------------------------------------------------------------------------------
// GetProgress, week by week: sessions done of those planned, the morning pain and the
// highest pain during exercise as bars (with the numbers, for screen readers a table).
async function loadProgress() {
  const box = $("progress");
  if (!store.program) return;
  box.replaceChildren(el("p", { class: "muted" }, "Loading…"));
  let progress;
  try {
    progress = (await outcomes.getProgress({ program: store.program }, auth())).progress;
  } catch (err) {
    box.replaceChildren(el("p", { class: "banner error", role: "alert" }, describe(err)));
    return;
  }
  const weeks = progress?.weeks ?? [];
  const done = weeks.reduce((a, w) => a + w.sessionsDone, 0);
  const planned = weeks.reduce((a, w) => a + w.sessionsPlanned, 0);
  const nf = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const bar = (value, cls) => value === undefined ? el("span", { class: "muted" }, "–")
    : el("span", { class: "bar-cell" }, el("span", { class: `bar ${cls}` }), nf.format(value));
  const table = el("table", { class: "progress-table", dataset: { testid: "progress-table" } },
    el("caption", {}, "Week by week (pain 0 to 10)"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Week"), el("th", { scope: "col" }, "Sessions"),
      el("th", { scope: "col" }, "Morning pain"), el("th", { scope: "col" }, "Highest pain during"))),
    el("tbody", {}, weeks.map((w) => el("tr", { dataset: { week: String(w.week) } },
      el("th", { scope: "row" }, String(w.week)),
      el("td", { dataset: { testid: "week-sessions" } }, `${w.sessionsDone} of ${w.sessionsPlanned}`),
      el("td", {}, bar(w.morningPainMedian, "morning")),
      el("td", {}, bar(w.maxPainDuring, "during"))))));
  // Bar widths through the CSSOM (the Content-Security-Policy forbids style attributes).
  table.querySelectorAll("tbody tr").forEach((tr, i) => {
    const w = weeks[i];
    const [m, d] = tr.querySelectorAll(".bar");
    if (m) m.style.width = `${(w.morningPainMedian ?? 0) * 10}%`;
    if (d) d.style.width = `${(w.maxPainDuring ?? 0) * 10}%`;
  });
  const last = weeks.at(-1);
  const facts = [
    el("p", { dataset: { testid: "progress-weeks" } }, `You are in week ${weeks.length ? weeks.at(-1).week : 1} of your program.`),
    el("p", { dataset: { testid: "progress-sessions" } }, `Sessions done: ${done} of ${planned} planned.`),
    progress?.morningPainChange !== undefined ? el("p", {}, progress.morningPainChange < 0
      ? `Your morning pain is ${nf.format(-progress.morningPainChange)} points lower than in your first week.`
      : `Your morning pain is ${nf.format(progress.morningPainChange)} points higher than in your first week.`) : null,
    last?.cadenceSpmMedian !== undefined ? el("p", {}, `Your step rate on runs this week: ${last.cadenceSpmMedian} steps per minute.`) : null,
    last?.runningMinutes ? el("p", {}, `Running this week: ${nf.format(last.runningMinutes)} minutes.`) : null,
    el("p", { class: "muted" }, "Three sessions a week and morning pain that stays low move you on to the next step."),
  ];
  box.replaceChildren(...facts.filter(Boolean), table);
}

// --- wiring -----------------------------------------------------------------------------------
function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const b of document.querySelectorAll(".tabs button")) {
    if (b.dataset.tab === name) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== `tab-${name}`;
  if (name === "progress") loadProgress();
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
  for (const [range, out] of [["pain", "pain-out"], ["morning-pain", "morning-out"]]) {
    $(range).oninput = () => {
      $(out).textContent = `${$(range).value}/10`;
      $(range).setAttribute("aria-valuetext", `${$(range).value} out of 10`);
    };
    $(range).oninput();
  }
  for (const box of document.querySelectorAll(".flag")) box.onchange = renderFlagWarning;
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
  let sending = false;  // a double tap sends one report
  $("report-form").onsubmit = async (ev) => {
    ev.preventDefault();
    if (sending) return;
    const built = buildReport();
    if (!built) return;
    if (built.reports.length === 0) {
      showResult(results.report, [el("p", { class: "banner error", role: "alert" }, "Nothing to send: every exercise is marked not done.")]);
      return;
    }
    sending = true;
    $("report-submit").disabled = true;
    try {
      const summary = `session of ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${built.words}`;
      resetReportForm();  // what was sent is said below; the form starts afresh
      await submit("report", { program: store.program, reports: built.reports, performTime: timestampFromDate(new Date()) }, summary);
    } finally {
      sending = false;
      $("report-submit").disabled = false;
    }
  };
  $("checkin-form").onsubmit = async (ev) => {
    ev.preventDefault();
    if ($("checkin-submit").disabled) return;
    const flags = [...document.querySelectorAll(".flag:checked")].map((b) => Number(b.value));
    const immediate = hasImmediateFlag(flags);
    $("checkin-submit").disabled = true;
    const pending = submit("checkin", {
      checkIn: {
        program: store.program,
        morningPain: Number($("morning-pain").value),
        test: Number($("morning-test").value),
        // Asked once, as the red flags they are; the booleans follow them.
        swelling: flags.includes(RedFlag.NEW_SWELLING),
        locking: flags.includes(RedFlag.TRUE_LOCKING),
        givingWay: flags.includes(RedFlag.GIVING_WAY),
        redFlags: flags,
        ...optionalPain("usualPain", $("usual-pain").value),
        ...optionalPain("worstPain", $("worst-pain").value),
      },
    }, `morning check-in, pain ${$("morning-pain").value}/10` +
      ($("usual-pain").value !== "" ? `, usual ${$("usual-pain").value}/10` : "") +
      ($("worst-pain").value !== "" ? `, worst ${$("worst-pain").value}/10` : "") +
      (flags.length ? `, ${flags.length} warning sign${flags.length > 1 ? "s" : ""}` : ""));
    // The advice does not wait for the network (the answer replaces it, so it shows once).
    if (immediate) showResult(results.checkin, [careBanner(), ...results.checkin.childNodes]);
    $("checkin-form").reset();
    for (const id of ["morning-pain"]) $(id).oninput();
    renderFlagWarning();
    try {
      await pending;
    } finally {
      $("checkin-submit").disabled = false;
    }
  };
  $("akps-form").onsubmit = submitAkps;
  $("groc-form").onsubmit = submitGroc;
  $("refresh").onclick = () => loadToday();
  $("reminder-form").onsubmit = (ev) => { ev.preventDefault(); saveReminder($("reminder-time").value); };
  renderReminder();
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

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
import { lang, languages, setLanguage, t, translatePage } from "./i18n.js";

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

// What each field of a request is called on the form: t(`field.${name}`).
const fieldWord = (leaf) => { const w = t(`field.${leaf}`); return w === `field.${leaf}` ? t("field.other") : w; };

// One field violation in plain words: which value, of which exercise, and what is allowed.
function violationText(v, request) {
  const m = v.field.match(/(?:^|\.)reports\[(\d+)\]\.(\w+)$/);
  const leaf = v.field.split(".").pop().replace(/\[\d+\]$/, "");
  let what = fieldWord(leaf);
  if (m) {
    const report = request?.reports?.[Number(m[1])];
    const item = today?.items.find((i) => i.prescription === report?.prescription);
    if (item) what += ` (${item.displayName || item.exercise})`;
  }
  const range = v.description.match(/range (-?\d+)\s*\.\.\s*(-?\d+)/);
  return `${what}: ${range ? t("err.range", { lo: range[1], hi: range[2] }) : t("err.notAccepted")}.`;
}

// The error as the patient sees it: what happened and what to do, never a status code or
// the server's own wording; `fields` are the field violations (google.rpc.BadRequest).
function plainError(err, request) {
  const e = ConnectError.from(err);
  const fields = e.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations)
    .map((v) => ({ field: v.field, text: violationText(v, request) }));
  // A fetch that failed (no network, gateway down) arrives as UNKNOWN: the same as UNAVAILABLE.
  const unreachable = [Code.Unavailable, Code.Unknown, Code.Canceled].includes(e.code);
  const text = unreachable ? t(navigator.onLine ? "err.unreachable" : "err.offline") : t({
    [Code.Unauthenticated]: "err.unauthenticated",
    [Code.PermissionDenied]: "err.permission",
    [Code.InvalidArgument]: "err.invalid",
    [Code.FailedPrecondition]: "err.paused",
    [Code.NotFound]: "err.notFound",
    [Code.ResourceExhausted]: "err.tooMany",
    [Code.DeadlineExceeded]: "err.timeout",
    [Code.Unavailable]: navigator.onLine ? "err.unreachable" : "err.offline",
  }[e.code] ?? "err.other");
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
  if (d.runSeconds) parts.push(t("dose.run", { sets: d.sets, run: fmt(d.runSeconds), walk: fmt(d.walkSeconds) }));
  else if (d.holdSeconds) parts.push(t("dose.hold", { sets: d.sets, reps: d.reps || 1, seconds: d.holdSeconds }));
  else if (d.durationSeconds) parts.push(`${d.sets} × ${fmt(d.durationSeconds)}`);
  else parts.push(`${d.sets} × ${d.reps}`);
  if (d.perSide) parts.push(t("dose.eachSide"));
  if (d.loadKg) parts.push(`${new Intl.NumberFormat(lang).format(d.loadKg)} kg`);
  if (d.restSeconds) parts.push(t("dose.rest", { rest: fmt(d.restSeconds) }));
  if (d.maxKneeFlexionDegrees) parts.push(t("dose.bend", { deg: d.maxKneeFlexionDegrees }));
  if (d.targetRpe) parts.push(t("dose.effort", { rpe: d.targetRpe }));
  return parts.join(" · ");
}

function fmt(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const outcomeNames = {
  [OutcomeKind.AKPS]: t("outcome.akps"),
  [OutcomeKind.STEP_DOWN_30S]: t("outcome.stepDown"),
  [OutcomeKind.GLOBAL_RATING_OF_CHANGE]: t("outcome.groc"),
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
    s.localDate && new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long" }).format(new Date(`${s.localDate}T12:00:00`)),
    s.programDay && t("today.day", { day: s.programDay }),
    offline && t("today.saved", { when: new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(savedAt)) }),
  ].filter(Boolean).join(" · ");
  const message = $("today-message");
  message.hidden = !(s.message || s.programPaused);
  message.className = s.programPaused ? "banner warn" : "banner";
  message.replaceChildren();
  if (s.programPaused) {
    message.append(el("h2", {}, t("today.pausedTitle")),
      el("p", {}, (s.message || t("today.pausedDefault")).replace(/^Your program is paused:\s*/i, "")),
      el("p", {}, t("today.pausedWorse")));
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
  const due = s.programPaused ? [] : s.outcomesDue.map((k) => outcomeNames[k] ?? t("outcome.other"));
  $("outcomes-due").hidden = due.length === 0;
  $("outcomes-due").textContent = due.length ? t("today.due", { list: new Intl.ListFormat(lang).format(due) }) : "";
  const akpsDue = !s.programPaused && s.outcomesDue.includes(OutcomeKind.AKPS);
  if (akpsDue && !queuedOutcome(OutcomeKind.AKPS)) {
    $("outcomes-due").append(" ", el("button", { type: "button", class: "secondary", dataset: { testid: "akps-open" }, onclick: openAkps }, t("today.akpsOpen")));
  }
  const grocDue = !s.programPaused && s.outcomesDue.includes(OutcomeKind.GLOBAL_RATING_OF_CHANGE);
  if (grocDue && !queuedOutcome(OutcomeKind.GLOBAL_RATING_OF_CHANGE)) {
    $("outcomes-due").append(" ", el("button", { type: "button", class: "secondary", dataset: { testid: "groc-open" }, onclick: openGroc }, t("today.grocOpen")));
  } else {
    $("groc-form").hidden = true;
  }
  for (const t of timers.values()) t.stop();
  timers.clear();
  const shown = s.programPaused ? [] : s.items;  // paused: no loading at all
  $("items").replaceChildren(...shown.map((item, i) => el("li", { dataset: { prescription: item.prescription } },
    el("h3", {}, item.displayName || item.exercise, item.done ? el("span", { class: "done-tag" }, t("today.done")) : null,
      item.optional ? el("span", { class: "muted" }, t("today.optional")) : null),
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

// A cue at a timer's switch: a vibration where the phone has one, and the words spoken
// (Web Speech, in the app's language) where the browser can.
function cue(pattern, words) {
  navigator.vibrate?.(pattern);
  if (words && globalThis.speechSynthesis && globalThis.SpeechSynthesisUtterance) {
    const u = new SpeechSynthesisUtterance(words);
    u.lang = lang;
    speechSynthesis.cancel();
    speechSynthesis.speak(u);
  }
}

// "each side" doses: every set is done on one side, then (with a cue) on the other.
class HoldTimer {
  constructor(work, holds, sets, rest, sides = 1) {
    Object.assign(this, { work, holds, sets, rest, sides });
    this.clock = el("span", { class: "clock", dataset: { testid: "timer-clock" } });
    this.phase = el("span", { class: "phase", dataset: { testid: "timer-phase" } });
    this.toggle = el("button", { type: "button", dataset: { testid: "timer-toggle" }, onclick: () => this.running ? this.pause() : this.start() });
    this.reset = el("button", { type: "button", class: "secondary", onclick: () => this.restart() }, t("timer.reset"));
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
      cue([150, 100, 150], t("timer.switch").trim());
    } else if (this.set < this.sets) {
      if (this.rest > 0) Object.assign(this, { resting: true, left: this.rest + carry });
      else Object.assign(this, { set: this.set + 1, side: 1, hold: 1, left: this.work + carry });
    } else {
      Object.assign(this, { left: 0, finished: true });
      this.stop();
      cue(300, t("timer.allSets"));
    }
    if (!this.finished) navigator.vibrate?.(100);
  }
  render() {
    this.clock.textContent = fmt(this.left);
    const sideWords = this.sides > 1 ? ` · ${t(this.side === 1 ? "timer.firstSide" : "timer.secondSide")}` : "";
    this.phase.textContent = this.finished ? t("timer.allSets") :
      this.resting ? t("timer.rest", { set: this.set + 1 }) :
      (this.switched && this.side === 2 && this.hold === 1 && this.left > this.work - 3 ? t("timer.switch") : "") +
      t("timer.set", { set: this.set, sets: this.sets }) + sideWords +
      (this.holds > 1 ? ` · ${t("timer.hold", { hold: this.hold, holds: this.holds })}` : "");
    this.root.dataset.side = String(this.side);
    this.toggle.textContent = t(this.running ? "timer.pause" : this.finished ? "timer.again" : "timer.start");
  }
}

// Run/walk intervals for a return-to-run stage: the dose carries them (run_seconds,
// walk_seconds, repeated `sets` times), so the timer needs nothing beyond the session item.
// Alternates "Run m:ss" and "Walk m:ss", vibrates at each switch, shows the time left in all.
class RunWalkTimer {
  constructor(run, walk, repeats) {
    this.phases = [];
    for (let i = 1; i <= repeats; i++) {
      this.phases.push({ kind: "run", label: t("timer.run"), seconds: run, repeat: i });
      if (walk > 0) this.phases.push({ kind: "walk", label: t("timer.walk"), seconds: walk, repeat: i });
    }
    Object.assign(this, { repeats, total: this.phases.reduce((a, p) => a + p.seconds, 0) });
    this.clock = el("span", { class: "clock", dataset: { testid: "timer-clock" } });
    this.phase = el("span", { class: "phase", dataset: { testid: "timer-phase" } });
    this.totalEl = el("span", { class: "total", dataset: { testid: "timer-total" } });
    this.toggle = el("button", { type: "button", dataset: { testid: "timer-toggle" }, onclick: () => this.running ? this.pause() : this.start() });
    this.reset = el("button", { type: "button", class: "secondary", onclick: () => this.restart() }, t("timer.reset"));
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
        cue([300, 100, 300], t("timer.allIntervals"));
      }
    }
    if (switched && !this.finished) cue(200, this.phases[this.index].label);
    this.render();
  }
  remaining() {
    return this.left + this.phases.slice(this.index + 1).reduce((a, p) => a + p.seconds, 0);
  }
  render() {
    const p = this.phases[this.index];
    this.root.dataset.phase = this.finished ? "done" : p.kind;
    this.phase.textContent = this.finished ? t("timer.allIntervals") : `${p.label} ${fmt(this.left)}`;
    this.clock.textContent = this.finished ? fmt(0) : `${p.repeat}/${this.repeats}`;
    this.totalEl.textContent = t("timer.total", { repeats: this.repeats, run: fmt(this.phases[0].seconds),
      walk: this.phases[1]?.kind === "walk" ? fmt(this.phases[1].seconds) : "", total: fmt(this.total), left: fmt(this.remaining()) });
    this.toggle.textContent = t(this.running ? "timer.pause" : this.finished ? "timer.again" : this.left < p.seconds || this.index ? "timer.resume" : "timer.start");
  }
}

// --- the global rating of change -----------------------------------------------------------
// Asked when the schedule says it is due (weeks 6 and 12 by default): one answer on a 7-point
// scale, -3 to +3, recorded through the outbox like the AKPS.
const GROC = [3, 2, 1, 0, -1, -2, -3].map((v) => [v, t(`groc.${v}`)]);

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
    $("groc-result").replaceChildren(el("p", { class: "banner error" }, t("groc.missing")));
    return;
  }
  $("groc-form").hidden = true;
  const label = GROC.find(([v]) => v === Number(choice))[1];
  await submit("outcome", { outcome: { program: store.program, kind: OutcomeKind.GLOBAL_RATING_OF_CHANGE, value: Number(choice) } },
    t("sent.rating", { label }));
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
    results.outcome.replaceChildren(el("p", { class: "banner error" }, t("akps.missing", { n: missing + 1 })));
    sets[missing].scrollIntoView();
    return;
  }
  $("akps-form").hidden = true;
  await submit("outcome", { outcome: { program: store.program, kind: OutcomeKind.AKPS, akpsChoices: choices.map(Number) } },
    t("sent.akps"));
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
  if (d.runSeconds) return { cls: "rounds", label: t("row.rounds", { max: d.sets }), max: d.sets };
  if (d.durationSeconds && d.sets <= 1) {
    const minutes = Math.max(1, Math.round(d.durationSeconds / 60));
    return { cls: "minutes", label: t("row.minutes", { max: minutes }), max: minutes };
  }
  return { cls: "sets-done", label: t("row.sets", { max: d.sets || 1 }), max: d.sets || 1 };
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
        item.done && !everyDone ? el("p", { class: "muted" }, t("row.already")) : null,
        el("div", { class: "seg" }, status("done", t("row.done")), status("partly", t("row.partly")), status("not", t("row.not"))),
        part,
        el("label", { for: `item-pain-${i}` }, t("row.pain")),
        el("select", { id: `item-pain-${i}`, class: "item-pain" }, painOptions(t("row.same"))),
        isRun(item) ? el("div", { class: "run-fields" },
          el("label", { class: "check" }, el("input", { type: "checkbox", class: "stopped" }), t("row.stopped")),
          el("label", { for: `cadence-${i}` }, t("row.cadence")),
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
        fieldError(partInput, t("err.partly", { max }));
        firstBad ??= partInput;
        continue;
      }
      if (unit.cls === "minutes") done.durationSecondsDone = n * 60;
      else done.setsDone = n;
      counts.partly.push(t("sent.partOf", { name, n, max: unit.max,
        unit: t(unit.cls === "minutes" ? "unit.minutes" : unit.cls === "rounds" ? "unit.rounds" : "unit.sets") }));
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
    counts.done && t("sent.done", { n: counts.done }),
    counts.partly.length && t("sent.partly", { n: counts.partly.length, list: counts.partly.join("; ") }),
    counts.not && t("sent.not", { n: counts.not }),
  ].filter(Boolean).join(", ");
  return { reports, words: `${words}; ${t("sent.pain", { pain })}` + (after !== "" ? `, ${t("sent.after", { after })}` : "") };
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
  // Said where the patient looks: the page scrolls to it.
  showResult(resultBox(kind, toJson(schema, message)), [el("p", { class: "banner info", dataset: { testid: "queued" } },
    navigator.onLine ? t("sending") : t("queued.offline"))]);
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
          navigator.onLine ? t("queued.retry") : t("queued.offline")));
        return;  // keep it and everything after it, in order, for the next try
      }
      if (e.code === Code.Unauthenticated) {
        showError(`${describe(e)} ${t("err.keptUntilSignIn")}`);
        return;  // the items wait for a valid sign-in
      }
      // Rejected for good (invalid, not allowed, program paused): the server stored nothing.
      removeFromQueue(item.requestId);
      const request = item.kind === "report" ? fromJson(ReportSessionRequestSchema, item.request) : null;
      const text = `${t("err.notRecorded", { summary: item.summary })}\n${describe(e, request)}`;
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
    [TrafficLight.GREEN]: ["green", t("light.green")],
    [TrafficLight.AMBER]: ["amber", t("light.amber")],
    [TrafficLight.RED]: ["red", t("light.red")],
  }[tl] ?? ["none", t("light.none")];
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
  [DecisionKind.PROGRESS]: t("change.progress"),
  [DecisionKind.HOLD]: t("change.hold"),
  [DecisionKind.REGRESS]: t("change.regress"),
  [DecisionKind.SWAP_TO_ISOMETRIC]: t("change.isometric"),
  [DecisionKind.SIMPLIFY]: t("change.simplify"),
  [DecisionKind.ADVANCE_STAGE]: t("change.advance"),
  [DecisionKind.STEP_BACK_STAGE]: t("change.stepBack"),
  [DecisionKind.REST_FROM_RUNNING]: t("change.rest"),
  [DecisionKind.CHANGE_PHASE]: t("change.phase"),
  [DecisionKind.CADENCE_STEP]: t("change.cadence"),
  [DecisionKind.CLINICIAN_OVERRIDE]: t("change.override"),
};

// The decisions as one sentence per kind of change (applied or waiting for the
// physiotherapist), with each exercise's reason folded below.
function decisionSummary(decisions) {
  const shown = decisions.filter((d) => d.kind !== DecisionKind.PAUSE && d.kind !== DecisionKind.RESUME &&
    (d.state === DecisionState.APPLIED || d.state === DecisionState.PROPOSED));
  if (shown.length === 0) {
    return el("p", { dataset: { testid: "no-change" } }, t("result.noChange"));
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
    const [applied, proposed] = changeWords[g.kind] ?? t("change.other");
    const n = g.list.filter((d) => d.prescription).length;
    const of = n ? t("result.for", { n }) : "";
    const sentence = g.state === DecisionState.PROPOSED
      ? t("result.proposed", { what: proposed, of })
      : g.kind === DecisionKind.HOLD ? t("result.hold", { of }) : t("result.applied", { what: applied, of });
    return el("div", { class: "change", dataset: { testid: g.state === DecisionState.PROPOSED ? "change-proposed" : "change-applied" } },
      el("p", {}, sentence),
      el("details", {}, el("summary", {}, t("result.details")),
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
    el("p", {}, el("strong", {}, t("result.report")), t("result.today"), light(res.session?.trafficLight)),
    el("p", { dataset: { testid: "sent-summary" } }, t("result.sent", { summary: item.summary })),
    // The server's word when the session changed nothing (done before a pause).
    res.session?.message ? el("p", { dataset: { testid: "session-message" } }, res.session.message)
      : decisionSummary(res.decisions))]);
}

function showCheckInResult(res, item) {
  const pausedNow = res.decisions.some((d) => d.kind === DecisionKind.PAUSE && d.state === DecisionState.APPLIED) ||
    res.alerts.some((a) => a.pausedProgram);
  const immediate = hasImmediateFlag(item.request.checkIn?.redFlags ?? []);
  // The advice leads, once: "seek care today" for an immediate red flag, else what the
  // server wrote for the patient on its alerts.
  const advice = immediate ? [t("care")] : [...new Set(res.alerts.map((a) => a.patientAdvice).filter(Boolean))];
  const children = [];
  if (advice.length) {
    children.push(el("div", { class: "banner care", role: "alert", dataset: { testid: immediate ? "seek-care" : "alert-advice" } },
      advice.map((a) => el("p", {}, a))));
  }
  if (pausedNow) {
    children.push(el("p", { class: "banner warn", dataset: { testid: "paused" } },
      t("result.pausedNow")));
  }
  children.push(el("div", { class: "banner ok" },
    el("p", {}, el("strong", {}, t("result.checkin")), pausedNow ? null : [t("result.today"), light(res.checkIn?.trafficLight)]),
    el("p", { class: "muted" }, t("result.sent", { summary: item.summary })),
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
      t("result.rating", { label: GROC.find(([g]) => g === v)?.[1] ?? v, value: `${v > 0 ? "+" : ""}${v}` }),
      el("p", { class: "muted" }, item.summary)));
    $("groc-form").hidden = true;
    return;
  }
  results.outcome.replaceChildren(el("div", { class: "banner", dataset: { testid: "akps-score" } },
    t("result.akps", { score: res.outcome?.value ?? "?" }),
    el("p", { class: "muted" }, item.summary)));
  $("akps-form").hidden = true;
}

function renderQueueCount() {
  const n = loadQueue().length;
  $("queue-count").textContent = n ? t("queue.count", { n }) : "";
  $("net").textContent = navigator.onLine ? "" : t("net.offline");
}

// --- morning check-in -------------------------------------------------------------------------
const IMMEDIATE = new Set([RedFlag.HOT_SWOLLEN_KNEE_WITH_FEVER, RedFlag.CANNOT_BEAR_WEIGHT_AFTER_TRAUMA,
  RedFlag.CANNOT_STRAIGHT_LEG_RAISE_AFTER_TRAUMA, RedFlag.KNEECAP_DISLOCATION, RedFlag.CALF_SWELLING_NUMBNESS_OR_COLD_FOOT]);
const flagText = (number) => t(`flag.${RedFlagSchema.value[number].name.replace(/^RED_FLAG_/, "")}`);
const hasImmediateFlag = (flags) => flags.some((f) => IMMEDIATE.has(typeof f === "number" ? f : RedFlag[f.replace(/^RED_FLAG_/, "")]));


function careBanner() {
  return el("div", { class: "banner care", role: "alert", dataset: { testid: "seek-care" } }, el("p", {}, t("care")));
}

function renderFlags() {
  for (const v of RedFlagSchema.values) {
    if (v.number === RedFlag.UNSPECIFIED) continue;
    const box = el("input", { type: "checkbox", class: "flag", value: String(v.number), name: v.name });
    $(IMMEDIATE.has(v.number) ? "flags-now" : "flags-urgent")
      .append(el("label", { class: "check" }, box, el("span", {}, flagText(v.number))));
  }
}

// Said before sending: a ticked red flag pauses the program.
function renderFlagWarning() {
  const ticked = document.querySelectorAll(".flag:checked").length;
  $("flags-warning").hidden = ticked === 0;
  $("flags-warning").textContent = ticked === 0 ? "" : hasImmediateFlag([...document.querySelectorAll(".flag:checked")].map((b) => Number(b.value)))
    ? t("checkin.warnNow") : t("checkin.warn");
  $("checkin-submit").textContent = t(ticked ? "checkin.sendPause" : "checkin.send");
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
    `SUMMARY:${t("reminder.icsSummary")}`, `DESCRIPTION:${t("reminder.icsDescription")}: ${origin}/`, `URL:${origin}/`,
    "BEGIN:VALARM", "ACTION:DISPLAY", `DESCRIPTION:${t("reminder.icsSummary")}`, "TRIGGER:PT0M", "END:VALARM",
    "END:VEVENT", "END:VCALENDAR", "",
  ].join("\r\n");
}

async function saveReminder(time) {
  localStorage.setItem(reminderKey, time);
  const parts = [t("reminder.set", { time })];
  await shareWithWorker({ time, doneDate: todayDone() ? localDate() : null });
  try {
    const registration = await navigator.serviceWorker?.ready;
    if (registration?.periodicSync && "Notification" in window &&
        (await Notification.requestPermission()) === "granted") {
      await registration.periodicSync.register("kc-reminder", { minInterval: 60 * 60 * 1000 });
      parts.push(t("reminder.notify"));
    } else {
      parts.push(t("reminder.noNotify"));
    }
  } catch {
    parts.push(t("reminder.noNotify"));
  }
  renderReminder(parts.join(" "));
}

function renderReminder(stateText) {
  const time = localStorage.getItem(reminderKey);
  if (time) $("reminder-time").value = time;
  $("reminder-state").textContent = stateText ?? (time ? t("reminder.set", { time }) : t("reminder.none"));
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
  $("reminder-due").textContent = due ? t("reminder.due", { time }) : "";
  if (today) shareWithWorker({ time, doneDate: todayDone() ? localDate() : null });
}

// --- progress -------------------------------------------------------------------------------
// GetProgress, week by week: sessions done of those planned, the morning pain and the
// highest pain during exercise as bars (with the numbers, for screen readers a table).
async function loadProgress() {
  const box = $("progress");
  if (!store.program) return;
  box.replaceChildren(el("p", { class: "muted" }, t("progress.loading")));
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
  const nf = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const bar = (value, cls) => value === undefined ? el("span", { class: "muted" }, "–")
    : el("span", { class: "bar-cell" }, el("span", { class: `bar ${cls}` }), nf.format(value));
  const table = el("table", { class: "progress-table", dataset: { testid: "progress-table" } },
    el("caption", {}, t("progress.caption")),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("progress.week")), el("th", { scope: "col" }, t("progress.sessions")),
      el("th", { scope: "col" }, t("progress.morning")), el("th", { scope: "col" }, t("progress.during")))),
    el("tbody", {}, weeks.map((w) => el("tr", { dataset: { week: String(w.week) } },
      el("th", { scope: "row" }, String(w.week)),
      el("td", { dataset: { testid: "week-sessions" } }, t("progress.ofPlanned", { done: nf.format(w.sessionsDone), planned: nf.format(w.sessionsPlanned) })),
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
    el("p", { dataset: { testid: "progress-weeks" } }, t("progress.inWeek", { week: weeks.length ? weeks.at(-1).week : 1 })),
    el("p", { dataset: { testid: "progress-sessions" } }, t("progress.sessionsDone", { done: nf.format(done), planned: nf.format(planned) })),
    progress?.morningPainChange !== undefined ? el("p", {}, progress.morningPainChange < 0
      ? t("progress.lower", { n: nf.format(-progress.morningPainChange) })
      : t("progress.higher", { n: nf.format(progress.morningPainChange) })) : null,
    last?.cadenceSpmMedian !== undefined ? el("p", {}, t("progress.cadence", { n: nf.format(last.cadenceSpmMedian) })) : null,
    last?.runningMinutes ? el("p", {}, t("progress.running", { n: nf.format(last.runningMinutes) })) : null,
    el("p", { class: "muted" }, t("progress.moveOn")),
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
  translatePage();
  $("lang").replaceChildren(...Object.entries(languages).map(([code, name]) =>
    el("option", { value: code, selected: code === lang, lang: code }, name)));
  $("lang").onchange = () => setLanguage($("lang").value);
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
      showResult(results.report, [el("p", { class: "banner error", role: "alert" }, t("err.nothing"))]);
      return;
    }
    sending = true;
    $("report-submit").disabled = true;
    try {
      const summary = t("sent.session", { time: new Intl.DateTimeFormat(lang, { timeStyle: "short" }).format(new Date()), words: built.words });
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
    }, t("sent.checkin", { pain: $("morning-pain").value }) +
      ($("usual-pain").value !== "" ? `, ${t("sent.usual", { v: $("usual-pain").value })}` : "") +
      ($("worst-pain").value !== "" ? `, ${t("sent.worst", { v: $("worst-pain").value })}` : "") +
      (flags.length ? `, ${t("sent.flags", { n: flags.length })}` : ""));
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
    if (n && !confirm(t("signout.confirm", { n }))) return;
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

// End to end for the patient web app: the real kneecoach-server (temp database, demo
// clinic), the real gateway, and real headless Chromium driven by playwright-core on a
// phone-sized screen. Counts are checked through the kneecoach CLI, straight against the
// server, so the browser's own view is never the only witness.
//
//   node clients/mobile/test/e2e.mjs SERVER_BIN CLI_BIN      (ctest: e2e_mobile)
// KNEECOACH_SHOTS=DIR also saves screenshots of the screens there.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const [serverBin, cliBin] = process.argv.slice(2);
if (!serverBin || !cliBin) {
  console.error("usage: e2e.mjs SERVER_BIN CLI_BIN");
  process.exit(2);
}
const mobile = dirname(dirname(fileURLToPath(import.meta.url)));
const work = mkdtempSync(join(tmpdir(), "kneecoach-mobile-e2e."));
const started = Date.now();
const children = [];
let browser;
let checks = 0;
const ok = (what) => console.log(`ok ${++checks} - ${what}`);
// Screenshots of each screen at 390×844 (KNEECOACH_SHOTS=DIR).
const shot = (page, name, fullPage = false) => process.env.KNEECOACH_SHOTS
  ? page.screenshot({ path: join(process.env.KNEECOACH_SHOTS, `mobile-${name}.png`), fullPage }) : null;

// No gRPC status code name in front of a patient, whatever went wrong.
const CODE_NAMES = /\b(OK|CANCELLED|CANCELED|UNKNOWN|INVALID_ARGUMENT|DEADLINE_EXCEEDED|NOT_FOUND|ALREADY_EXISTS|PERMISSION_DENIED|RESOURCE_EXHAUSTED|FAILED_PRECONDITION|ABORTED|OUT_OF_RANGE|UNIMPLEMENTED|INTERNAL|UNAVAILABLE|DATA_LOSS|UNAUTHENTICATED)\b|\[\w+\]|reports\[/;
async function noCodeNames(page, what) {
  const body = await page.locator("body").innerText();
  assert.ok(!CODE_NAMES.test(body), `${what}: a status code name or raw field path is on screen: ${body.match(CODE_NAMES)?.[0]}`);
}

// axe-core, WCAG 2.0/2.1/2.2 A and AA: no violation on the screen as it is.
const axeScreens = [];
async function axe(page, screen) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]).analyze();
  const found = result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(found, [], `axe on ${screen}`);
  axeScreens.push(screen);
}

// Starts a process and resolves with the first match of `pattern` in its output.
function start(name, cmd, args, pattern) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let log = "";
  child.logText = () => log;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${log}`)), 20000);
    const onData = (chunk) => {
      log += chunk;
      const m = log.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${name} exited ${code}:\n${log}`)));
  });
}

let serverAddr;
function cli(token, ...args) {
  const out = execFileSync(cliBin, [`--server=${serverAddr}`, `--token=${token}`, "--json", ...args],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return JSON.parse(out);
}

async function main() {
  // The app as the gateway serves it, regenerated from the protos (so it cannot be stale).
  execFileSync(process.execPath, [join(mobile, "scripts", "build.mjs")], { stdio: "inherit" });

  const db = join(work, "kc.db");
  const first = await start("kneecoach-server", serverBin,
    ["--listen=127.0.0.1:0", `--db=${db}`, "--seed_demo"], /listening on (127\.0\.0\.1:\d+)/);
  serverAddr = first.match[1];
  const creds = Object.fromEntries(readFileSync(join(work, "demo-credentials"), "utf8")
    .split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/)));
  const program = creds.program;

  // A runner six weeks into her program, in the return-to-run phase: created by the physio
  // through the API, then dated back. The server has no clock to set and start_date is output
  // only, so, with the server stopped, the program's stored start date (and phase start) is
  // moved 42 days back in the database, the same number of bytes, and the server restarted on
  // it. Nothing else is touched: the run stage, the outcomes due and the check-in rules are
  // the server's own.
  const clinic = cli(creds.physio, "clinic", "get").clinic.name;
  const runner = cli(creds.physio, "patients", "create", "--name=Rita Runner", `--clinic=${clinic}`,
    "--tz=UTC", "--side=left").patient.name;
  const runProgram = cli(creds.physio, "programs", "create", `--patient=${runner}`,
    "--phase=PHASE_RETURN_TO_RUN").program;
  const startedToday = runProgram.start_date;
  const daysBefore = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) - n * 86400000).toISOString().slice(0, 10);
  const sixWeeksAgo = daysBefore(startedToday, 42);
  const runnerCode = execFileSync(cliBin, [`--server=${serverAddr}`, `--token=${creds.physio}`,
    "enrollment-code", runner], { encoding: "utf8" }).match(/KC-[A-Z0-9]{4}-[A-Z0-9]{4}/)[0];
  first.child.kill("SIGTERM");
  await new Promise((r) => (first.child.exitCode !== null ? r() : first.child.once("exit", r)));
  children.splice(children.indexOf(first.child), 1);
  const runId = runProgram.name.split("/").pop();
  const hex = (str) => Buffer.from(str).toString("hex").toUpperCase();
  const blob = execFileSync("sqlite3", [db, `SELECT hex(data) FROM programs WHERE id='${runId}'`], { encoding: "utf8" }).trim();
  assert.ok(blob.includes(hex(startedToday)), "the stored program carries its start date");
  execFileSync("sqlite3", [db, `UPDATE programs SET data=X'${blob.replaceAll(hex(startedToday), hex(sixWeeksAgo))}' WHERE id='${runId}'`]);
  const server = await start("kneecoach-server", serverBin,
    ["--listen=127.0.0.1:0", `--db=${db}`], /listening on (127\.0\.0\.1:\d+)/);
  serverAddr = server.match[1];
  assert.equal(cli(creds.physio, "programs", "get", runProgram.name).program.start_date, sixWeeksAgo);
  const gateway = await start("gateway", process.execPath,
    [join(mobile, "gateway", "server.mjs"), "--port=0", `--backend=${serverAddr}`],
    /gateway listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const url = gateway.match[1] + "/";
  ok(`server on ${serverAddr}, gateway on ${url}`);

  const sessionCount = () => (cli(creds.patient, "history", program).sessions ?? []).length;
  const checkInCount = () => (cli(creds.patient, "checkins", program).check_ins ?? []).length;

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking"],
  });
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const text = (sel) => page.locator(sel).first().innerText();
  const queueText = () => page.getByTestId("queue-count").innerText();

  // --- a bad token: UNAUTHENTICATED, said plainly, and nothing kept -------------------------
  await page.goto(url);
  await page.fill("#credential", "kc_not-a-real-token");
  await page.click("#signin-form button");
  await page.getByTestId("error").filter({ hasText: "signed out" }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("kc.token")), null);
  assert.ok(await page.locator("#signin").isVisible());
  await noCodeNames(page, "bad token");
  await shot(page, "signin");
  await axe(page, "sign-in");
  ok(`a bad token says, in plain words: "${await page.getByTestId("error").innerText()}"`);

  // --- sign in with the demo patient's token: today's exercises -----------------------------
  await page.fill("#credential", creds.patient);
  await page.click("#signin-form button");
  await page.locator("#items > li").first().waitFor();
  const plan = cli(creds.patient, "today", program).session;
  const names = await page.locator("#items > li h3").allInnerTexts();
  assert.equal(names.length, plan.items.length);
  assert.ok(names[0].startsWith(plan.items[0].display_name), `${names[0]} vs ${plan.items[0].display_name}`);
  assert.ok((await text("#items > li .dose")).length > 0);
  await axe(page, "today");
  await shot(page, "today");
  ok(`today shows the ${names.length} exercises the server planned (${names.join(", ")})`);

  // --- reminders: a time of day; on opening after it with today undone, a reminder; an .ics --
  await page.locator("#reminder summary").click();
  await page.getByTestId("reminder-time").fill("00:00");  // any time today is past it
  await page.click("#reminder-save");
  await page.getByTestId("reminder-state").filter({ hasText: "Reminder set for 00:00" }).waitFor();
  const ics = decodeURIComponent((await page.getByTestId("reminder-ics").getAttribute("href")).split(",")[1]);
  const icsLines = ics.split("\r\n");
  for (const line of ["BEGIN:VCALENDAR", "BEGIN:VEVENT", "RRULE:FREQ=DAILY", "END:VEVENT", "END:VCALENDAR"]) {
    assert.ok(icsLines.includes(line), `${line} in the .ics`);
  }
  assert.match(icsLines.find((l) => l.startsWith("DTSTART:")), /^DTSTART:\d{8}T000000$/);
  assert.ok(icsLines.includes(`URL:${url}`), "the .ics links back to the app");
  await page.reload();
  await page.locator("#items > li").first().waitFor();
  await page.getByTestId("reminder-due").filter({ hasText: "past 00:00" }).waitFor();
  ok(`reminder at 00:00: shown on opening with today undone ("${await page.getByTestId("reminder-due").innerText()}"); the .ics is daily at 00:00`);

  // --- a timer: counts down while running, stands still when paused -------------------------
  // The longest isometric hold on screen, so that a slow machine cannot run it past one hold.
  const mmss = (t) => { const [m, s] = t.split(":").map(Number); return m * 60 + s; };
  const holdTimers = page.locator(".timer[data-kind=hold]");
  const clocks = (await holdTimers.getByTestId("timer-clock").allInnerTexts()).map(mmss);
  assert.ok(clocks.length > 0, "an isometric has a hold timer");
  const longest = clocks.indexOf(Math.max(...clocks));
  const timer = holdTimers.nth(longest);
  const clock = timer.getByTestId("timer-clock");
  const seconds = async () => mmss(await clock.innerText());
  const full = await seconds();
  assert.ok(full >= 15, `the longest hold is ${full} s`);
  const t0 = Date.now();
  await timer.getByTestId("timer-toggle").click();
  await page.waitForTimeout(2300);
  await timer.getByTestId("timer-toggle").click();  // pause
  const wall = (Date.now() - t0) / 1000;
  const paused = await seconds();
  await axe(page, "a running timer");
  assert.ok(full - paused >= 2 && full - paused <= Math.ceil(wall) + 1,
    `timer went ${full} -> ${paused} in ${wall.toFixed(1)} s`);
  await page.waitForTimeout(1200);
  assert.equal(await seconds(), paused, "a paused timer stands still");
  assert.match(await timer.getByTestId("timer-phase").innerText(), /^Set 1\//);
  ok(`timer counted down ${full} s -> ${paused} s and held while paused`);

  // --- report pain 2 online: the traffic light and the reason -------------------------------
  await page.click("[data-tab=report]");
  assert.equal(await page.getByTestId("pain-out").innerText(), "0/10", "the default pain is on screen");
  assert.ok(await page.locator("#report-submit").isEnabled());
  await axe(page, "report");
  await shot(page, "report-form", true);
  // The pain scale by keyboard: focus, then the arrow keys.
  await page.locator("#pain").focus();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getByTestId("pain-out").innerText(), "2/10");
  await page.click("#report-submit");
  await page.getByTestId("report-result").getByTestId("traffic-light").waitFor();
  assert.equal(await page.getByTestId("report-result").getByTestId("traffic-light").innerText(), "GREEN");
  // The server's reasons when it decided something, else the plain "no change".
  const reasons = await page.getByTestId("report-result").getByTestId("reason").allTextContents();
  const noChange = await page.getByTestId("report-result").getByTestId("no-change").count();
  assert.ok(reasons.length > 0 ? reasons.every((r) => r.trim()) : noChange === 1);
  assert.equal(sessionCount(), 1);
  await page.click("[data-tab=today]");
  await page.getByTestId("reminder-due").waitFor({ state: "hidden" });  // today is done now
  await page.click("[data-tab=report]");
  assert.match(await page.getByTestId("sent-summary").innerText(), new RegExp(`${plan.items.length} done; pain 2/10`));
  assert.equal(await page.getByTestId("pain-out").innerText(), "0/10", "the form starts afresh after sending");
  await shot(page, "report-result");
  ok(`pain 2 (set by keyboard) reported online: GREEN (${reasons.length ? reasons.join("; ") : "no change"}), one session on the server`);

  // --- the AKPS, due on day 1: answered in the app, scored by the server --------------------
  await page.click("[data-tab=today]");
  assert.match(await page.getByTestId("outcomes-due").innerText(), /Anterior Knee Pain Scale/);
  await page.getByTestId("akps-open").click();
  const akpsItems = page.locator("#akps-items fieldset");
  await akpsItems.first().waitFor();
  const itemCount = await akpsItems.count();
  assert.equal(itemCount, 13);
  await axe(page, "AKPS");
  await page.click("#akps-submit");  // nothing answered yet: asks, sends nothing
  await page.locator("#akps-result").filter({ hasText: "Please answer question 1" }).waitFor();
  for (let i = 0; i < itemCount; i++) await akpsItems.nth(i).locator("input[type=radio]").first().check();
  await page.click("#akps-submit");
  const score = page.getByTestId("akps-score");
  await score.waitFor();
  const recorded = cli(creds.patient, "outcomes", program).outcomes ?? [];
  assert.equal(recorded.length, 1);
  assert.match(await score.innerText(), new RegExp(`recorded: ${recorded[0].value}/100`));
  await page.getByTestId("outcomes-due").waitFor({ state: "hidden" });
  ok(`AKPS answered in the app: the server scored it ${recorded[0].value}/100 and it is no longer due`);

  // --- offline: a report and a check-in queue up, survive a reload --------------------------
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.click("[data-tab=today]");
  await page.locator("#items > li .done-tag").first().waitFor();  // refreshed after the sync
  await context.setOffline(true);
  await page.click("[data-tab=report]");
  await page.locator("#pain").fill("5");
  await page.click("#report-submit");
  await page.getByTestId("queued").first().waitFor();
  await page.click("[data-tab=checkin]");
  await page.locator("#morning-pain").fill("1");
  await page.click("#checkin-submit");
  assert.equal(await queueText(), "2 waiting to sync");
  await axe(page, "offline");
  await shot(page, "offline");
  const queued = await page.evaluate(() => localStorage.getItem("kc.queue.v1"));
  const queuedIds = JSON.parse(queued).map((i) => i.requestId);
  assert.equal(queuedIds.length, 2);
  ok("offline: a report and a check-in wait (2 waiting to sync)");

  await page.reload();
  await page.locator("#items > li").first().waitFor();
  assert.match(await page.getByTestId("today-meta").innerText(), /offline/);
  assert.equal(await page.locator("#items > li").count(), plan.items.length);
  assert.equal(await queueText(), "2 waiting to sync");
  assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem("kc.queue.v1"))).map((i) => i.requestId), queuedIds);
  assert.equal(sessionCount(), 1);
  assert.equal(checkInCount(), 0);
  ok("reloaded offline: the saved session shows, the queue and its request ids survive, the server has nothing new");

  // --- back online: the queue syncs in order, each item once --------------------------------
  await context.setOffline(false);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("kc.queue.v1") ?? "[]").length === 0);
  await page.getByTestId("queue-count").filter({ hasText: /^$/ }).waitFor({ state: "attached" });
  assert.equal(await queueText(), "");
  assert.equal(sessionCount(), 2);
  assert.equal(checkInCount(), 1);
  await page.click("[data-tab=report]");
  const synced = page.getByTestId("report-result");
  assert.equal(await synced.getByTestId("traffic-light").innerText(), "AMBER");
  // One sentence per kind of change; each exercise's reason folded below it.
  const amberReason = await synced.locator("[data-testid^=change-] > p").first().innerText();
  assert.match(amberReason, /^(Changed: .*|Keep the same dose next time) for \d+ exercises?\.$/);
  assert.match(await synced.getByTestId("reason").first().textContent(), /\w/);
  ok(`online again: synced; the server has 2 sessions and 1 check-in; pain 5 -> AMBER, "${amberReason}"`);

  // --- a duplicate sync of items already sent: the server replays, counts stay --------------
  await page.evaluate((q) => { localStorage.setItem("kc.queue.v1", q); }, queued);
  await page.evaluate(() => window.kneecoach.sync());
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("kc.queue.v1") ?? "[]").length === 0);
  assert.equal(sessionCount(), 2, "a re-sent report must not be counted twice");
  assert.equal(checkInCount(), 1, "a re-sent check-in must not be counted twice");
  ok("re-sending both items with their request ids changed nothing on the server");

  // --- forgiving input: a pain box cannot go above 10; partial work is stored as partial ----
  await page.click("[data-tab=report]");
  const options = await page.locator("#overrides .item-pain").first().locator("option").allInnerTexts();
  assert.deepEqual(options.slice(1), Array.from({ length: 11 }, (_, i) => `${i}/10`));
  const multi = plan.items.findIndex((i) => (i.dose?.sets ?? 1) >= 2);
  assert.ok(multi >= 0, "an exercise with two sets or more");
  const multiRow = page.locator("#overrides > li").nth(multi);
  await multiRow.locator("input.status[value=partly]").check();
  await multiRow.locator(".part").fill("");
  await page.click("#report-submit");  // partly, but how much is missing: said at the field
  await multiRow.getByTestId("field-error").waitFor();
  assert.equal(sessionCount(), 2);
  await axe(page, "report with a field error");
  await multiRow.locator(".part").fill("1");
  const notDone = multi === 0 ? 1 : 0;
  await page.locator("#overrides > li").nth(notDone).locator("input.status[value=not]").check();
  await page.locator("#pain").fill("3");
  await page.locator("#report-submit").dblclick();  // a double tap: one session
  await page.getByTestId("report-result").getByTestId("traffic-light").waitFor();
  assert.match(await page.getByTestId("sent-summary").innerText(), /1 partly \(.*1 of \d+ sets\), 1 not done; pain 3\/10/);
  assert.equal(sessionCount(), 3, "a double tap stores one session");
  const partial = cli(creds.patient, "history", program).sessions[0].reports;
  assert.equal(partial.find((r) => r.prescription === plan.items[multi].prescription).sets_done, 1);
  assert.equal(partial.find((r) => r.prescription === plan.items[notDone].prescription), undefined);
  assert.equal(partial.length, plan.items.length - 1);
  ok(`partly done stored as 1 set of ${plan.items[multi].dose.sets}, not done left out; a double tap stored one session`);

  // --- their own progress: the numbers of GetProgress -------------------------------------
  await page.click("[data-tab=progress]");
  await page.getByTestId("progress-table").waitFor();
  const progress = cli(creds.patient, "progress", program).progress;
  const weeksDone = progress.weeks.reduce((a, w) => a + (w.sessions_done ?? 0), 0);
  const weeksPlanned = progress.weeks.reduce((a, w) => a + (w.sessions_planned ?? 0), 0);
  assert.equal(await page.getByTestId("progress-sessions").innerText(), `Sessions done: ${weeksDone} of ${weeksPlanned} planned.`);
  assert.ok(!/null|undefined|NaN/.test(await page.getByTestId("progress").innerText()));
  assert.deepEqual(await page.getByTestId("week-sessions").allInnerTexts(),
    progress.weeks.map((w) => `${w.sessions_done ?? 0} of ${w.sessions_planned ?? 0}`));
  await axe(page, "progress");
  await shot(page, "progress");
  ok(`progress: ${weeksDone} of ${weeksPlanned} sessions over ${progress.weeks.length} week(s), as GetProgress says`);

  // --- a value the server refuses: plain words, at the field ---------------------------------
  await page.click("[data-tab=report]");
  await page.evaluate(([prog, prescription]) => window.kneecoach.enqueue({
    kind: "report", requestId: "web-outofrange-1", summary: "session of today",
    request: { program: prog, reports: [{ prescription, setsDone: 1, painDuring: 12 }], requestId: "web-outofrange-1" },
  }), [program, plan.items[0].prescription]);
  await page.evaluate(() => window.kneecoach.sync());
  const rejected = page.getByTestId("rejected-item");
  await rejected.waitFor();
  const rejectedText = await rejected.innerText();
  assert.match(rejectedText, /Pain during the exercise \(.+\): use a number from 0 to 10/);
  await page.locator("#overrides > li").first().getByTestId("field-error").waitFor();
  await noCodeNames(page, "value out of range");
  assert.equal(await queueText(), "");
  assert.equal(sessionCount(), 3);
  ok(`an out-of-range value is refused in plain words, next to its field: ${rejectedText.split("\n").pop()}`);

  // --- enrollment: a physio's one-use code signs a new phone in ----------------------------
  const patient = cli(creds.patient, "whoami").user.patient;
  const codeOut = execFileSync(cliBin, [`--server=${serverAddr}`, `--token=${creds.physio}`,
    "enrollment-code", patient], { encoding: "utf8" });
  const code = codeOut.match(/KC-[A-Z0-9]{4}-[A-Z0-9]{4}/)[0];
  const phone2 = await browser.newContext(phone);
  const page2 = await phone2.newPage();
  page2.setDefaultTimeout(15000);
  await page2.goto(url);
  await page2.fill("#credential", code);
  await page2.click("#signin-form button");
  await page2.locator("#items > li").first().waitFor();
  const token2 = await page2.evaluate(() => localStorage.getItem("kc.token"));
  assert.ok(token2 && token2 !== code && token2 !== creds.patient);
  assert.equal(cli(token2, "whoami").user.patient, patient);
  ok(`enrolled a second phone with ${code}; it got its own patient token`);

  // The code is spent: a third phone cannot use it.
  const phone3 = await browser.newContext(phone);
  const page3 = await phone3.newPage();
  await page3.goto(url);
  await page3.fill("#credential", code);
  await page3.click("#signin-form button");
  await page3.getByTestId("error").filter({ hasText: "signed out" }).waitFor();
  await noCodeNames(page3, "spent code");
  ok("a spent enrollment code is refused in plain words");

  // --- a red flag that needs care today: the advice, and the program paused -----------------
  await page2.click("[data-tab=checkin]");
  // Each question once: the swelling, locking and giving way are asked as the red flags.
  const checkinText = await page2.locator("#checkin-form").innerText();
  for (const q of [/swelling/gi, /locks/gi, /gives way/gi]) assert.equal(checkinText.match(q)?.length, 1, `${q} asked once`);
  await axe(page2, "check-in");
  await shot(page2, "checkin-form", true);
  await page2.locator("#morning-pain").fill("3");
  await page2.locator(`input.flag[name=RED_FLAG_KNEECAP_DISLOCATION]`).check();
  assert.match(await page2.getByTestId("flags-warning").innerText(), /pauses your program/);
  await page2.click("#checkin-submit");
  await page2.getByTestId("paused").waitFor();
  const result2 = page2.getByTestId("checkin-result");
  assert.equal(await result2.getByTestId("seek-care").count(), 1, "the advice once");
  assert.equal(await result2.locator(":scope > :first-child").getAttribute("data-testid"), "seek-care", "the advice leads");
  assert.equal((await result2.innerText()).match(/Seek medical care/g).length, 1);
  const box = await result2.getByTestId("seek-care").boundingBox();
  assert.ok(box.y >= 0 && box.y < 844, `the advice is on screen (y ${box.y})`);
  assert.equal(checkInCount(), 2);
  assert.equal(cli(creds.patient, "today", program).session.program_paused, true);
  await shot(page2, "redflag-result");
  await axe(page2, "red-flag result");
  ok("an immediate red flag: the advice leads, once, on screen; the server paused the program");

  // --- the paused program: why and what to do, no exercises, no report, no questionnaire -----
  await page2.click("[data-tab=today]");
  await page2.getByTestId("today-message").filter({ hasText: /paused/ }).waitFor();
  assert.equal(await page2.locator("#items > li").count(), 0, "no exercises while paused");
  assert.equal(await page2.locator(".timer").count(), 0, "no timers while paused");
  assert.ok(await page2.locator("[data-tab=report]").isHidden(), "no report while paused");
  assert.ok(await page2.getByTestId("outcomes-due").isHidden(), "no questionnaire while paused");
  await noCodeNames(page2, "paused");
  await axe(page2, "paused");
  await shot(page2, "paused");
  ok(`paused: "${(await page2.getByTestId("today-message").innerText()).split("\n").filter(Boolean)[1]}", no exercises, no report, no questionnaire`);

  // --- approval mode: the engine's changes are proposals waiting for the physiotherapist -----
  const apPatient = cli(creds.physio, "patients", "create", "--name=Anna Approval", `--clinic=${clinic}`,
    "--tz=UTC", "--side=right").patient.name;
  const apProgram = cli(creds.physio, "programs", "create", `--patient=${apPatient}`,
    "--approval=APPROVAL_MODE_CLINICIAN_APPROVAL").program.name;
  const apCode = execFileSync(cliBin, [`--server=${serverAddr}`, `--token=${creds.physio}`,
    "enrollment-code", apPatient], { encoding: "utf8" }).match(/KC-[A-Z0-9]{4}-[A-Z0-9]{4}/)[0];
  const apCtx = await browser.newContext(phone);
  await apCtx.addInitScript(() => {
    window.vibrations = [];
    navigator.vibrate = (p) => { window.vibrations.push(p); return true; };
  });
  const ap = await apCtx.newPage();
  ap.setDefaultTimeout(15000);
  await ap.clock.install();
  await ap.goto(url);
  await ap.fill("#credential", apCode);
  await ap.click("#signin-form button");
  await ap.locator("#items > li").first().waitFor();
  const apToken = await ap.evaluate(() => localStorage.getItem("kc.token"));

  // --- a hold timer "each side": a 30 s suspension loses no time, then the sides switch -----
  const apPlan = cli(apToken, "today", apProgram).session;
  const sideItem = apPlan.items.find((i) => i.dose?.per_side && i.dose?.hold_seconds);
  assert.ok(sideItem, "an 'each side' hold in the plan");
  const { hold_seconds: holdS, reps: holdReps } = sideItem.dose;
  const sideTimer = ap.locator(`#items > li[data-prescription="${sideItem.prescription}"] .timer[data-kind=hold]`);
  const sidePhase = () => sideTimer.getByTestId("timer-phase").innerText();
  assert.match(await sidePhase(), /first side/);
  await sideTimer.getByTestId("timer-toggle").click();
  const suspended = Math.min(30, holdS * (holdReps - 1));
  await ap.clock.fastForward(suspended * 1000);  // no timer ran meanwhile, as in a locked phone
  await ap.clock.runFor(300);
  const holdAfter = Math.floor(suspended / holdS) + 1;
  assert.match(await sidePhase(), new RegExp(`first side · hold ${holdAfter}/${holdReps}`));
  await ap.clock.runFor((holdReps * holdS - suspended) * 1000);
  assert.match(await sidePhase(), /Switch sides! .*second side · hold 1\//);
  assert.equal(await sideTimer.getAttribute("data-side"), "2");
  assert.ok((await ap.evaluate(() => window.vibrations)).some((v) => Array.isArray(v)), "a cue at the switch");
  await sideTimer.getByTestId("timer-toggle").click();
  await ap.clock.setSystemTime(new Date());
  ok(`${sideItem.display_name}, ${holdReps} × ${holdS} s each side: ${suspended} s suspended and caught up (hold ${holdAfter}), then "Switch sides!"`);
  const doses = () => cli(apToken, "today", apProgram).session.items.map((i) => JSON.stringify([i.exercise, i.dose]));
  const dosesBefore = doses();
  await ap.click("[data-tab=report]");
  await ap.locator("#pain").fill("8");
  await ap.click("#report-submit");
  await ap.getByTestId("report-result").getByTestId("traffic-light").waitFor();
  const proposed = ap.getByTestId("report-result").getByTestId("change-proposed");
  const proposedKinds = await proposed.count();
  assert.ok(proposedKinds >= 1, await ap.getByTestId("report-result").innerText());
  assert.equal(await ap.getByTestId("report-result").getByTestId("change-applied").count(), 0);
  const sentence = (await proposed.first().locator("p").innerText());
  assert.match(sentence, /Your physiotherapist will review .* for \d+ exercises?\. Until then, keep today's plan\./);
  assert.ok(!(await proposed.first().locator("details").evaluate((d) => d.open)), "the per-exercise detail is folded");
  assert.deepEqual(doses(), dosesBefore, "today's session is unchanged");
  await shot(ap, "approval-result");
  await axe(ap, "report result (proposals)");
  // A report done offline before the program is paused still syncs after the pause.
  const apSessions = () => (cli(apToken, "history", apProgram).sessions ?? []).length;
  const apBefore = apSessions();
  await apCtx.setOffline(true);
  await ap.click("[data-tab=report]");
  await ap.locator("#pain").fill("3");
  await ap.click("#report-submit");
  await ap.getByTestId("queue-count").filter({ hasText: "1 waiting to sync" }).waitFor();
  cli(creds.physio, "programs", "pause", apProgram, "--reason=Review of the knee");
  await apCtx.setOffline(false);
  await ap.waitForFunction(() => JSON.parse(localStorage.getItem("kc.queue.v1") ?? "[]").length === 0);
  assert.equal(apSessions(), apBefore + 1, "the report done before the pause was recorded");
  await ap.click("[data-tab=today]");
  await ap.getByTestId("today-message").filter({ hasText: /paused/ }).waitFor();
  await noCodeNames(ap, "queued before the pause");
  ok(`approval mode, pain 8: "${sentence}" (${proposedKinds} kind(s)); today's doses unchanged; a report queued offline before a pause synced after it`);

  // --- the main flow in German: the browser's language, Intl dates, then the switch ----------
  const { keys } = await import("../app/src/i18n.js");
  assert.deepEqual([...keys.de].sort(), [...keys.en].sort(), "German has every key English has");
  const dePatient = cli(creds.physio, "patients", "create", "--name=Dora Deutsch", `--clinic=${clinic}`,
    "--tz=UTC", "--side=left").patient.name;
  const deProgram = cli(creds.physio, "programs", "create", `--patient=${dePatient}`).program.name;
  const deCode = execFileSync(cliBin, [`--server=${serverAddr}`, `--token=${creds.physio}`,
    "enrollment-code", dePatient], { encoding: "utf8" }).match(/KC-[A-Z0-9]{4}-[A-Z0-9]{4}/)[0];
  const deCtx = await browser.newContext({ ...phone, locale: "de-DE" });
  const de = await deCtx.newPage();
  de.setDefaultTimeout(15000);
  await de.goto(url);
  assert.equal(await de.evaluate(() => document.documentElement.lang), "de");
  assert.equal(await de.locator("#signin h2").innerText(), "Anmelden");
  await deCtx.setOffline(true);  // no network: said plainly too
  await de.fill("#credential", "kc_irgendwas");
  await de.click("#signin-form button");
  await de.getByTestId("error").filter({ hasText: "offline" }).waitFor();
  await noCodeNames(de, "no network");
  await deCtx.setOffline(false);
  await de.fill("#credential", "kc_falsch");
  await de.click("#signin-form button");
  await de.getByTestId("error").filter({ hasText: "Sie sind abgemeldet" }).waitFor();
  await noCodeNames(de, "bad token, German");
  await de.fill("#credential", deCode);
  await de.click("#signin-form button");
  await de.locator("#items > li").first().waitFor();
  assert.deepEqual(await de.locator(".tabs button").allInnerTexts(), ["Heute", "Bericht", "Morgens", "Verlauf"]);
  const weekday = new Intl.DateTimeFormat("de", { weekday: "long", timeZone: "UTC" }).format(new Date());
  assert.match(await de.getByTestId("today-meta").innerText(), new RegExp(`^${weekday}, .* · Tag \\d+ Ihres Programms`));
  await axe(de, "today (German)");
  // 200% zoom: a 390 px phone at 200% lays out in 195 CSS px; nothing may need sideways scrolling.
  await de.setViewportSize({ width: 195, height: 422 });
  for (const tab of ["today", "report", "checkin"]) {
    await de.click(`[data-tab=${tab}]`);
    const [scroll, inner] = await de.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
    assert.ok(scroll <= inner, `200% zoom, ${tab}: ${scroll} px wide in ${inner}`);
  }
  await de.setViewportSize(phone.viewport);
  await de.click("[data-tab=today]");
  await shot(de, "today-de");
  await de.click("[data-tab=report]");
  await de.locator("#pain").fill("2");
  await de.click("#report-submit");
  await de.getByTestId("report-result").getByTestId("traffic-light").waitFor();
  assert.equal(await de.getByTestId("report-result").getByTestId("traffic-light").innerText(), "GRÜN");
  assert.match(await de.getByTestId("sent-summary").innerText(), /^Gesendet: Einheit von .*: \d+ erledigt; Schmerz 2\/10\.$/);
  assert.equal((cli(creds.physio, "history", deProgram).sessions ?? []).length, 1);
  await de.click("[data-tab=checkin]");
  await de.locator("#morning-pain").fill("1");
  await de.click("#checkin-submit");
  await de.getByTestId("checkin-result").filter({ hasText: "Morgen-Check gespeichert" }).waitFor();
  await axe(de, "check-in result (German)");
  await shot(de, "checkin-de");
  await de.getByTestId("lang").selectOption("en");  // the switch: English from now on
  await de.locator("#items > li").first().waitFor();
  assert.equal(await de.locator("[data-tab=today]").innerText(), "Today");
  assert.equal(await de.evaluate(() => document.documentElement.lang), "en");
  ok("German from the browser's language: sign-in, today (Intl date), report (GRÜN), check-in; the switch back to English");

  // --- installable: Chromium's own installability check, the favicon, an offline start -----
  // (Chromium does not install from an incognito profile: this check needs a real one.)
  const installCtx = await chromium.launchPersistentContext(mkdtempSync(join(work, "profile-")), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-background-networking"], ...phone,
  });
  const ip = installCtx.pages()[0] ?? await installCtx.newPage();
  await ip.goto(url);
  await ip.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const cdp = await installCtx.newCDPSession(ip);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  assert.deepEqual(installabilityErrors, []);
  await installCtx.setOffline(true);  // an offline start: the service worker has the shell
  await ip.reload();
  await ip.locator("#signin").waitFor();
  await installCtx.close();
  assert.equal((await fetch(url + "favicon.ico")).status, 200);
  const manifest = await (await fetch(url + "manifest.webmanifest")).json();
  assert.deepEqual(manifest.icons.map((i) => `${i.sizes} ${i.purpose}`), ["192x192 any", "512x512 any", "512x512 maskable"]);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  ok("installable: no installability errors, icons 192/512/maskable, a favicon, lang");

  // --- the runner, six weeks in: run/walk intervals, the run report, the rating of change ---
  const runCtx = await browser.newContext(phone);
  await runCtx.addInitScript(() => {
    window.vibrations = [];
    navigator.vibrate = (p) => { window.vibrations.push(p); return true; };
  });
  const run = await runCtx.newPage();
  run.setDefaultTimeout(15000);
  await run.clock.install();
  await run.goto(url);
  await run.fill("#credential", runnerCode);
  await run.click("#signin-form button");
  await run.locator("#items > li").first().waitFor();
  const runToken = await run.evaluate(() => localStorage.getItem("kc.token"));
  const runPlan = cli(runToken, "today", runProgram.name).session;
  const runItem = runPlan.items.find((i) => i.dose?.run_seconds > 0);
  assert.ok(runItem, `a run/walk stage is in today's session: ${runPlan.items.map((i) => i.exercise).join(", ")}`);
  const { run_seconds: runS, walk_seconds: walkS, sets: repeats } = runItem.dose;
  const rw = run.locator(`#items > li[data-prescription="${runItem.prescription}"] .timer[data-kind=runwalk]`);
  const phaseText = () => rw.getByTestId("timer-phase").innerText();
  const mmssOf = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  assert.equal(await phaseText(), `Run ${mmssOf(runS)}`);
  assert.match(await rw.getByTestId("timer-total").innerText(),
    new RegExp(`^${repeats} × \\(run ${mmssOf(runS)} \\+ walk ${mmssOf(walkS)}\\) = ${mmssOf(repeats * (runS + walkS))} in all`));
  await rw.getByTestId("timer-toggle").click();
  await run.clock.runFor((runS - 10) * 1000);
  assert.match(await phaseText(), /^Run 0:1[01]$/);
  await run.clock.runFor(12000);
  const walkLeft = (await phaseText()).match(/^Walk (\d+):(\d\d)$/);
  assert.ok(walkLeft, await phaseText());
  const walkSecs = Number(walkLeft[1]) * 60 + Number(walkLeft[2]);
  assert.ok(walkSecs <= walkS && walkSecs >= walkS - 3, `walk ${walkSecs} s of ${walkS}`);
  assert.equal(await rw.getAttribute("data-phase"), "walk");
  await rw.getByTestId("timer-toggle").click();  // pause mid-walk
  const pausedAt = await phaseText();
  await run.clock.runFor(30000);
  assert.equal(await phaseText(), pausedAt, "a paused interval timer stands still");
  assert.equal(await rw.getByTestId("timer-toggle").innerText(), "Resume");
  await rw.getByTestId("timer-toggle").click();
  await run.clock.runFor(walkS * 1000);
  assert.match(await phaseText(), /^Run \d+:\d\d$/);
  assert.equal(await rw.getByTestId("timer-clock").innerText(), `2/${repeats}`);
  assert.ok((await run.evaluate(() => window.vibrations.length)) >= 2, "a vibration at each switch");
  await rw.getByTestId("timer-toggle").click();
  await run.clock.setSystemTime(new Date());  // back to the real time before anything is dated
  ok(`run/walk timer for ${runItem.display_name}: Run ${mmssOf(runS)} -> Walk -> Run (round 2/${repeats}), paused, vibrated at each switch`);

  // The run report: rounds done, stopped early, cadence, as the server stores them.
  await run.click("[data-tab=report]");
  const runRow = run.locator(`#overrides li[data-prescription="${runItem.prescription}"]`);
  await runRow.locator("input.status[value=partly]").check();
  await runRow.locator(".rounds").fill("2");
  await runRow.locator(".stopped").check();
  await runRow.locator(".cadence").fill("168");
  await run.locator("#pain").fill("2");
  await run.click("#report-submit");
  await run.getByTestId("report-result").getByTestId("traffic-light").waitFor().catch(async (e) => {
    console.error("run report:", await run.getByTestId("report-result").innerText(),
      "\nerror:", await run.getByTestId("error").innerText());
    throw e;
  });
  const ranReport = cli(runToken, "history", runProgram.name).sessions[0].reports
    .find((r) => r.prescription === runItem.prescription);
  assert.equal(ranReport.sets_done, 2);
  assert.equal(ranReport.stopped_early, true);
  assert.equal(ranReport.cadence_spm, 168);
  ok(`run report: 2 rounds, stopped early, cadence 168 on the server (${await run.getByTestId("report-result").getByTestId("traffic-light").innerText()})`);

  // The global rating of change, due at week 6.
  await run.click("[data-tab=today]");
  assert.ok(runPlan.outcomes_due.includes("OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE"), `due: ${runPlan.outcomes_due}`);
  await run.getByTestId("groc-open").click();
  await run.click("#groc-submit");  // nothing chosen: asks, sends nothing
  await run.getByTestId("groc-result").filter({ hasText: "Please choose" }).waitFor();
  await run.locator("#groc-options label").filter({ hasText: "Better (+2)" }).locator("input").check();
  await run.click("#groc-submit");
  await run.getByTestId("groc-recorded").waitFor();
  assert.match(await run.getByTestId("groc-recorded").innerText(), /Better \(\+2\)/);
  const ratings = cli(runToken, "outcomes", runProgram.name, "--kind=OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE").outcomes ?? [];
  assert.equal(ratings.length, 1);
  assert.equal(ratings[0].value, 2);
  assert.ok(!(cli(runToken, "today", runProgram.name).session.outcomes_due ?? []).includes("OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE"));
  await run.waitForFunction(() => !document.querySelector("[data-testid=groc-open]"));
  ok("global rating of change +2 recorded in the app: on the server, no longer due");

  // Usual pain 2 yesterday, 6 today: rising fast, the program paused for an urgent review.
  cli(runToken, "checkin", runProgram.name, "--pain=1", "--usual=2", `--date=${daysBefore(startedToday, 1)}`);
  await run.click("[data-tab=checkin]");
  await run.locator("#morning-pain").fill("3");
  await run.getByTestId("usual-pain").selectOption("6");
  await run.getByTestId("worst-pain").selectOption("7");
  await run.click("#checkin-submit");
  await run.getByTestId("checkin-result").getByTestId("paused").waitFor();
  const advice = await run.getByTestId("alert-advice").innerText();
  assert.match(advice, /\w/);
  assert.match(await run.getByTestId("checkin-result").innerText(), /usual pain has risen quickly/i);
  assert.match(await run.getByTestId("paused").innerText(), /paused/);
  const lastCheckIn = cli(runToken, "checkins", runProgram.name).check_ins[0];
  assert.equal(lastCheckIn.usual_pain, 6);
  assert.equal(lastCheckIn.worst_pain, 7);
  assert.equal(cli(runToken, "today", runProgram.name).session.program_paused, true);
  ok(`usual pain 2 -> 6 in a day: the server paused the program; the app says "${advice.replace(/\n/g, " ")}"`);

  console.log(`axe: zero violations on ${axeScreens.length} screens (${axeScreens.join(", ")})`);
  console.log(`mobile e2e: ${checks} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (e) {
  console.error(`FAIL: ${e.stack || e}`);
  for (const c of children) console.error(`--- ${c.spawnargs[1] ?? c.spawnfile} log (tail):\n${(c.logText?.() ?? "").slice(-3000)}`);
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  for (const c of children) c.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}

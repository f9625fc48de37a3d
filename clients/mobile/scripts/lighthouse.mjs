// Lighthouse (npm, pinned 12.2.3: the last line that runs on Node 20) with Debian's
// Chromium, on the mobile profile (Moto G power, slow 4G, 4× CPU slowdown), against the
// built app as the gateway serves it. Prints the four category scores and fails (exit 1)
// below performance 90 or accessibility 100.
//
//   node scripts/lighthouse.mjs [URL]        (npm run lighthouse)
// Without URL it builds the app and starts the gateway on a free port itself (the start
// screen, the one every patient loads first, needs no backend).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
let url = process.argv[2];
let gateway;
if (!url) {
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  const { startGateway } = await import("../gateway/server.mjs");
  gateway = await startGateway({ port: 0, backend: "http://127.0.0.1:9", staticDir: join(root, "app", "dist") });
  url = `http://127.0.0.1:${gateway.address().port}/`;
}
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
});
let failed = false;
try {
  const { lhr } = await lighthouse(url, { port: chrome.port, output: "json", logLevel: "error" });
  const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
  console.log(`lighthouse ${lhr.lighthouseVersion}, ${lhr.configSettings.formFactor}, ${url}`);
  for (const id of ["performance", "accessibility", "best-practices", "seo"]) {
    console.log(`  ${lhr.categories[id].title.padEnd(16)} ${score(id)}`);
  }
  for (const id of ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"]) {
    console.log(`  ${lhr.audits[id].title.padEnd(26)} ${lhr.audits[id].displayValue}`);
  }
  for (const [id, audit] of Object.entries(lhr.audits)) {
    if (audit.score !== null && audit.score < 1 && ["accessibility"].some((c) => lhr.categories[c].auditRefs.some((r) => r.id === id))) {
      console.log(`  accessibility: ${id}: ${audit.title}`);
    }
  }
  failed = score("performance") < 90 || score("accessibility") < 100;
} finally {
  chrome.kill();
  gateway?.close();
}
process.exit(failed ? 1 : 0);

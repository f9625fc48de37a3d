// Builds the web app into app/dist: regenerates gen/ from the protos, bundles
// app/src/main.js (with connect-web and protobuf-es) into one ES module with esbuild, and
// copies the static files. No source map is written (the gateway would not serve it
// anyway). Prints each file's size, raw and gzipped. app/dist and gen/ are build output,
// not committed.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
execFileSync(process.execPath, [join(root, "scripts", "gen.mjs")], { stdio: "inherit" });
const dist = join(root, "app", "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const f of ["index.html", "style.css", "sw.js", "manifest.webmanifest", "favicon.ico", "icons"]) {
  cpSync(join(root, "app", f), join(dist, f), { recursive: true });
}
await build({
  entryPoints: [join(root, "app", "src", "main.js")],
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  outfile: join(dist, "app.js"),
  logLevel: "warning",
});

const files = (dir) => readdirSync(dir).flatMap((f) =>
  statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]);
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
let total = 0;
let totalGz = 0;
for (const f of files(dist).sort()) {
  const bytes = readFileSync(f);
  const gz = gzipSync(bytes).length;
  total += bytes.length;
  totalGz += gz;
  console.log(`build: ${relative(dist, f).padEnd(26)} ${kb(bytes.length).padStart(10)} ${kb(gz).padStart(10)} gzip`);
}
console.log(`build: ${"app/dist in all".padEnd(26)} ${kb(total).padStart(10)} ${kb(totalGz).padStart(10)} gzip`);

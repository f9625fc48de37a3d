// Builds the web app into app/dist: regenerates gen/ from the protos, bundles
// app/src/main.js (with connect-web and protobuf-es) into one ES module with esbuild, and
// copies the static files. app/dist and gen/ are build output, not committed.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
execFileSync(process.execPath, [join(root, "scripts", "gen.mjs")], { stdio: "inherit" });
const dist = join(root, "app", "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const f of ["index.html", "style.css", "sw.js", "manifest.webmanifest"]) {
  cpSync(join(root, "app", f), join(dist, f));
}
await build({
  entryPoints: [join(root, "app", "src", "main.js")],
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  outfile: join(dist, "app.js"),
  logLevel: "warning",
});
console.log("build: app/dist ready");

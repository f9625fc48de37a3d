// Generates the TypeScript-free ES modules for kneecoach.v1 (and google.rpc, for the
// BadRequest field violations) from ../../proto with Debian's protoc and the npm
// protoc-gen-es plugin, into gen/ (not committed: it is rebuilt from the protos each time).
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const protoRoot = join(here, "..", "..", "proto");
const out = join(here, "gen");
const files = [
  ...readdirSync(join(protoRoot, "kneecoach", "v1"))
    .filter((f) => f.endsWith(".proto"))
    .map((f) => `kneecoach/v1/${f}`),
  "google/rpc/error_details.proto",
];
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  process.env.PROTOC || "protoc",
  [
    `-I${protoRoot}`,
    `--plugin=protoc-gen-es=${join(here, "node_modules", ".bin", "protoc-gen-es")}`,
    `--es_out=${out}`,
    "--es_opt=target=js,import_extension=js",
    ...files,
  ],
  { stdio: "inherit", cwd: protoRoot },
);
console.log(`gen: ${files.length} files -> gen/`);

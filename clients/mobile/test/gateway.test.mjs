// Unit tests of the gateway's generic forwarding (node --test; ctest: mobile_gateway).
// The end-to-end behaviour through a real server is in e2e.mjs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";

const mobile = dirname(dirname(fileURLToPath(import.meta.url)));
execFileSync(process.execPath, [join(mobile, "scripts", "gen.mjs")], { stdio: "ignore" });
const { forwardAll, relay, services, startGateway } = await import("../gateway/server.mjs");

// Every "rpc" of every kneecoach.v1 .proto file, read from the source.
const protoDir = join(mobile, "..", "..", "proto", "kneecoach", "v1");
const declared = readdirSync(protoDir).filter((f) => f.endsWith(".proto"))
  .flatMap((f) => [...readFileSync(join(protoDir, f), "utf8").matchAll(/^\s*rpc\s+(\w+)\s*\(/gm)].map((m) => m[1]))
  .sort();

test("every rpc of kneecoach.v1 is forwarded, each once", () => {
  const registered = [];
  const router = {
    service(service, impl) {
      for (const name of Object.keys(impl)) {
        const method = service.methods.find((m) => m.localName === name);
        assert.ok(method, `${service.typeName} has no method ${name}`);
        registered.push(method.name);
      }
    },
  };
  const count = forwardAll(router, {});
  assert.equal(count, declared.length);
  assert.deepEqual(registered.sort(), declared);
  assert.ok(services.every((s) => s.typeName.startsWith("kneecoach.v1.")));
});

test("a forwarded call passes the request, authorization and deadline, and the answer back", async () => {
  let seen;
  const transport = {
    async unary(method, signal, timeoutMs, header, input) {
      seen = { method: method.name, timeoutMs, auth: header.get("authorization"), cookie: header.get("cookie"), input };
      return { message: { ok: true } };
    },
  };
  const impls = {};
  forwardAll({ service: (s, impl) => { impls[s.typeName] = impl; } }, transport);
  const ctx = {
    requestHeader: new Headers({ authorization: "Bearer t0k", cookie: "not=forwarded" }),
    signal: new AbortController().signal,
    timeoutMs: () => 1500,
  };
  const out = await impls["kneecoach.v1.SessionService"].getTodaySession({ program: "programs/p" }, ctx);
  assert.deepEqual(out, { ok: true });
  assert.deepEqual(seen, { method: "GetTodaySession", timeoutMs: 1500, auth: "Bearer t0k", cookie: null, input: { program: "programs/p" } });
});

test("the backend's status comes back with its code, message and details, without its metadata", async () => {
  const detail = { type: "google.rpc.BadRequest", value: new Uint8Array([10, 3, 1, 2, 3]) };
  const backend = new ConnectError("reports[0].pain_during: 12 out of range 0..10", Code.InvalidArgument,
    new Headers({ "content-type": "application/grpc", "grpc-status": "3" }));
  backend.details = [detail];
  const transport = { async unary() { throw backend; } };
  const impls = {};
  forwardAll({ service: (s, impl) => { impls[s.typeName] = impl; } }, transport);
  const ctx = { requestHeader: new Headers(), signal: new AbortController().signal, timeoutMs: () => undefined };
  await assert.rejects(impls["kneecoach.v1.SessionService"].reportSession({}, ctx), (e) => {
    assert.equal(e.code, Code.InvalidArgument);
    assert.equal(e.rawMessage, "reports[0].pain_during: 12 out of range 0..10");
    assert.deepEqual(e.details, [detail]);
    assert.equal([...e.metadata.keys()].length, 0);
    return true;
  });
  assert.equal(relay(new Error("socket hang up")).code, Code.Unavailable);
});

test("the gateway's static files: served below their root only, and a malformed path is a 400", async () => {
  const root = mkdtempSync(join(tmpdir(), "kneecoach-gateway-"));
  writeFileSync(join(root, "index.html"), "<p>app</p>");
  const server = await startGateway({ port: 0, backend: "http://127.0.0.1:9", staticDir: root });
  try {
    const base = `http://127.0.0.1:${server.address().port}`;
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.equal(await index.text(), "<p>app</p>");
    assert.equal((await fetch(`${base}/%E0%A4%A`)).status, 400);
    assert.equal((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status, 403);
    assert.equal((await fetch(`${base}/missing.js`)).status, 404);
    // Still serving after the bad requests.
    assert.equal((await fetch(`${base}/index.html`)).status, 200);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true });
  }
});

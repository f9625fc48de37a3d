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
const { forwardAll, relay, roundRobin, safeToResend, services, startGateway } = await import("../gateway/server.mjs");

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

// --- hardening (issue 16, findings 3 and 13) ---------------------------------------------------
import { request as httpRequest } from "node:http";
import { connect as netConnect } from "node:net";

// A gateway with a fake backend: `unary` is called for each forwarded call.
async function gatewayWith(unary, options = {}) {
  const root = mkdtempSync(join(tmpdir(), "kneecoach-gateway-"));
  writeFileSync(join(root, "index.html"), "<p>app</p>");
  writeFileSync(join(root, "app.js"), "export {};");
  writeFileSync(join(root, "app.js.map"), "{\"sources\":[\"secret.js\"]}");
  const calls = [];
  const transport = { unary: (method, ...rest) => { calls.push(method.name); return unary(method, ...rest); } };
  const server = await startGateway({ port: 0, backend: "http://127.0.0.1:9", staticDir: root, transport, ...options });
  const base = `http://127.0.0.1:${server.address().port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true });
  };
  return { server, base, calls, close, port: server.address().port };
}
const rpc = (base, body = "{}", headers = {}) => fetch(`${base}/kneecoach.v1.SessionService/GetTodaySession`,
  { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
const answer = async () => ({ message: {} });

test("a body above 4 MiB is refused before it reaches the backend, declared or chunked", async () => {
  const gw = await gatewayWith(answer);
  try {
    // Declared: refused from the headers alone, before one byte of the body is sent.
    const declared = await new Promise((resolve, reject) => {
      const req = httpRequest(`${gw.base}/kneecoach.v1.SessionService/GetTodaySession`, { method: "POST",
        headers: { "content-type": "application/json", "content-length": String(400 * 1024 * 1024) } },
      (res) => { res.resume(); resolve(res.statusCode); req.destroy(); });
      req.on("error", reject);
      req.flushHeaders();
    });
    assert.equal(declared, 413);
    // Chunked, no length: refused once the limit is passed, the rest is not read.
    const status = await new Promise((resolve, reject) => {
      const req = httpRequest(`${gw.base}/kneecoach.v1.SessionService/GetTodaySession`,
        { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
          let text = "";
          res.on("data", (c) => { text += c; });
          res.on("end", () => resolve({ code: res.statusCode, text }));
        });
      req.on("error", reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 6 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return req.once("drain", pump);
        }
        req.end();
      };
      req.write("{\"program\":\"");
      pump();
    });
    assert.notEqual(status.code, 200);
    assert.match(status.text, /resource_exhausted/);
    assert.deepEqual(gw.calls, []);
    assert.equal((await rpc(gw.base)).status, 200, "still serving");
  } finally {
    await gw.close();
  }
});

// Opens a raw connection, writes `text`, resolves with the ms until the gateway closes it.
function closedAfter(port, text) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = netConnect(port, "127.0.0.1", () => socket.write(text));
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => resolve(Date.now() - t0));
  });
}

test("slow headers and a slow body are cut off by their timeouts", async () => {
  const gw = await gatewayWith(answer, { headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
  try {
    const headers = await closedAfter(gw.port, "POST / HTTP/1.1\r\nHost: x\r\n");
    assert.ok(headers < 4000, `slow headers closed after ${headers} ms`);
    const body = await closedAfter(gw.port, "POST /kneecoach.v1.SessionService/GetTodaySession HTTP/1.1\r\n" +
      "Host: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"pro");
    assert.ok(body < 5000, `slow body closed after ${body} ms`);
    assert.deepEqual(gw.calls, []);
  } finally {
    await gw.close();
  }
});

test("the defaults: 10 s for headers, 30 s for a request", async () => {
  const gw = await gatewayWith(answer);
  try {
    assert.equal(gw.server.headersTimeout, 10_000);
    assert.equal(gw.server.requestTimeout, 30_000);
  } finally {
    await gw.close();
  }
});

test("one client gets at most 8 calls in flight; the 9th is told to wait", async () => {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const gw = await gatewayWith(async () => { await held; return { message: {} }; });
  try {
    const first = Array.from({ length: 8 }, () => rpc(gw.base));
    while (gw.calls.length < 8) await new Promise((r) => setTimeout(r, 10));
    const ninth = await rpc(gw.base);
    assert.equal(ninth.status, 429);
    assert.match(await ninth.text(), /resource_exhausted/);
    release();
    for (const r of await Promise.all(first)) assert.equal(r.status, 200);
    assert.equal((await rpc(gw.base)).status, 200, "the slots are given back");
  } finally {
    await gw.close();
  }
});

test("the backend is told the client's own address, never one the browser wrote", async () => {
  const seen = [];
  const gw = await gatewayWith(async (method, signal, timeoutMs, header) => {
    seen.push(header.get("x-forwarded-for"));
    return { message: {} };
  });
  try {
    assert.equal((await rpc(gw.base, "{}", { "x-forwarded-for": "203.0.113.9" })).status, 200);
    assert.equal((await rpc(gw.base)).status, 200);
    assert.deepEqual(seen, ["127.0.0.1", "127.0.0.1"]);
  } finally {
    await gw.close();
  }
});

test("every forwarded call has a deadline: 15 s when none was given, at most 60 s", async () => {
  const seen = [];
  const impls = {};
  forwardAll({ service: (s, impl) => { impls[s.typeName] = impl; } },
    { async unary(m, signal, timeoutMs) { seen.push(timeoutMs); return { message: {} }; } });
  const call = (timeoutMs) => impls["kneecoach.v1.SessionService"].getTodaySession({},
    { requestHeader: new Headers(), signal: new AbortController().signal, timeoutMs: () => timeoutMs });
  await call(undefined);
  await call(3_600_000);
  await call(2_000);
  assert.deepEqual(seen, [15_000, 60_000, 2_000]);
});

test("static files carry a CSP with frame-ancestors; no source map is served", async () => {
  const gw = await gatewayWith(answer);
  try {
    for (const path of ["/", "/app.js", "/missing"]) {
      const res = await fetch(gw.base + path);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /default-src 'self'/, path);
      assert.equal(res.headers.get("x-frame-options"), "DENY");
    }
    assert.equal((await fetch(`${gw.base}/app.js.map`)).status, 404);
  } finally {
    await gw.close();
  }
});

test("a backend that is down: UNAVAILABLE in plain words, without its address", async () => {
  const root = mkdtempSync(join(tmpdir(), "kneecoach-gateway-"));
  // A port that was free a moment ago: nothing listens there.
  const probe = await startGateway({ port: 0, backend: "http://127.0.0.1:9", staticDir: root });
  const deadPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const server = await startGateway({ port: 0, backend: `http://127.0.0.1:${deadPort}`, staticDir: root });
  try {
    const res = await rpc(`http://127.0.0.1:${server.address().port}`);
    const text = await res.text();
    assert.equal(JSON.parse(text).code, "unavailable");
    assert.ok(!text.includes(String(deadPort)) && !text.includes("127.0.0.1") && !/ECONN/.test(text), text);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true });
  }
});

test("static text files go out gzipped to a browser that takes it", async () => {
  const gw = await gatewayWith(answer);
  try {
    const zipped = await fetch(`${gw.base}/app.js`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    assert.equal(await zipped.text(), "export {};");
    const plain = await fetch(`${gw.base}/app.js`, { headers: { "accept-encoding": "identity" } });
    assert.equal(plain.headers.get("content-encoding"), null);
  } finally {
    await gw.close();
  }
});

// Several replicas behind one gateway (--backend=A,B): round robin per call, and a call
// that reached no replica goes to the next one only when sending it again is safe.
const sessionService = services.find((s) => s.typeName === "kneecoach.v1.SessionService");
const byName = (name) => sessionService.methods.find((m) => m.name === name);
function replica(label, behaviour = () => ({ message: { from: label } })) {
  const calls = [];
  return {
    calls,
    async unary(method, signal, timeoutMs, header, input) {
      calls.push(method.name);
      return behaviour(method, input);
    },
  };
}
const unreachable = () => { throw new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable); };

test("several replicas: calls go round robin, one call at a time", async () => {
  const a = replica("a"), b = replica("b");
  const rr = roundRobin([a, b]);
  const got = [];
  for (let i = 0; i < 4; i++) {
    got.push((await rr.unary(byName("GetTodaySession"), undefined, 1000, new Headers(), {})).message.from);
  }
  assert.deepEqual(got, ["a", "b", "a", "b"]);
});

test("a replica that cannot be reached: reads and writes with a request_id go to the next", async () => {
  const down = replica("down", unreachable), up = replica("up");
  const rr = roundRobin([down, up]);
  const read = await rr.unary(byName("GetTodaySession"), undefined, 1000, new Headers(), {});
  assert.equal(read.message.from, "up");
  const rr2 = roundRobin([down, up]);
  const write = await rr2.unary(byName("ReportSession"), undefined, 1000, new Headers(), { requestId: "r-1" });
  assert.equal(write.message.from, "up");
  assert.ok(safeToResend(byName("ListSessions"), {}));
  assert.ok(!safeToResend(byName("ReportSession"), { requestId: "" }));
});

test("a write without a request_id, or an answer from the server, is never sent twice", async () => {
  const down = replica("down", unreachable), up = replica("up");
  await assert.rejects(roundRobin([down, up]).unary(byName("ReportSession"), undefined, 1000, new Headers(), {}),
    (e) => ConnectError.from(e).code === Code.Unavailable);
  assert.deepEqual(up.calls, []);
  const answered = replica("answered", () => {
    const e = new ConnectError("program is paused", Code.FailedPrecondition);
    e.metadata.set("grpc-status", "9");
    throw e;
  });
  const other = replica("other");
  await assert.rejects(roundRobin([answered, other]).unary(byName("GetTodaySession"), undefined, 1000, new Headers(), {}),
    (e) => ConnectError.from(e).code === Code.FailedPrecondition);
  assert.deepEqual(other.calls, []);
});

test("every replica down: UNAVAILABLE, each tried once", async () => {
  const a = replica("a", unreachable), b = replica("b", unreachable);
  await assert.rejects(roundRobin([a, b]).unary(byName("ListSessions"), undefined, 1000, new Headers(), {}),
    (e) => ConnectError.from(e).code === Code.Unavailable);
  assert.deepEqual([a.calls.length, b.calls.length], [1, 1]);
});

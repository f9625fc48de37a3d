#!/usr/bin/env node
// The patient web app's gateway: serves the Connect protocol (HTTP/1.1 and JSON or binary)
// to the browser and forwards every unary method of every kneecoach.v1 service to the C++
// kneecoach-server over gRPC (HTTP/2). The forwarding is generic over the service
// descriptors: a method added to a .proto is forwarded once the code is regenerated.
//
// What passes through unchanged: the request message, the `authorization` header, the
// deadline, and on failure the gRPC status code, message and details (google.rpc.BadRequest
// field violations stay intact as raw Any bytes). The gateway keeps no state and holds no
// credential of its own. It also serves the built web app (app/dist) for every other path.
//
// What it refuses, so that no one without a token can knock it over: a body above the
// server's 4 MiB (413 before reading when the length is declared, resource_exhausted when a
// chunked body passes it), headers slower than 10 s and a request slower than 30 s, more
// than 8 calls in flight from one client address (429), and no forwarded call lives
// longer than its deadline (15 s when the browser gave none, 60 s at most). The static
// files carry a Content-Security-Policy (frame-ancestors 'none'); source maps are never
// served; when the backend cannot be reached the browser learns that, not its address.
//
//   node gateway/server.mjs [--port=8080] [--host=127.0.0.1] [--backend=http://127.0.0.1:50051]
//                           [--static=app/dist]
// --backend may list several server replicas, comma-separated: calls go round robin, one
// call at a time (gRPC balances per call, not per connection), and a call that could not
// reach one replica goes to the next when that is safe (roundRobin below).
//   env: KNEECOACH_GATEWAY_PORT, KNEECOACH_GATEWAY_HOST, KNEECOACH_BACKEND, KNEECOACH_STATIC
// --port=0 picks a free port; the log line "gateway listening on http://HOST:PORT" says which.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ConnectError, Code } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";

import { file_kneecoach_v1_access } from "../gen/kneecoach/v1/access_pb.js";
import { file_kneecoach_v1_decision } from "../gen/kneecoach/v1/decision_pb.js";
import { file_kneecoach_v1_exercise_library_service } from "../gen/kneecoach/v1/exercise_library_service_pb.js";
import { file_kneecoach_v1_outcome } from "../gen/kneecoach/v1/outcome_pb.js";
import { file_kneecoach_v1_patient } from "../gen/kneecoach/v1/patient_pb.js";
import { file_kneecoach_v1_program } from "../gen/kneecoach/v1/program_pb.js";
import { file_kneecoach_v1_protocol } from "../gen/kneecoach/v1/protocol_pb.js";
import { file_kneecoach_v1_session } from "../gen/kneecoach/v1/session_pb.js";

const here = dirname(fileURLToPath(import.meta.url));

// The limits above; startGateway takes any of them as an option (the tests shorten them).
export const limits = {
  maxBodyBytes: 4 * 1024 * 1024,  // the C++ server's gRPC receive limit
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlightPerClient: 8,
  defaultDeadlineMs: 15_000,
  maxDeadlineMs: 60_000,
};

// The deadline a forwarded call gets: the browser's, else the default, never above the cap.
export function deadlineMs(requested, { defaultDeadlineMs, maxDeadlineMs } = limits) {
  const ms = requested === undefined || requested <= 0 ? defaultDeadlineMs : requested;
  return Math.min(ms, maxDeadlineMs);
}

// Every service declared in kneecoach.v1.
export const services = [
  file_kneecoach_v1_access,
  file_kneecoach_v1_decision,
  file_kneecoach_v1_exercise_library_service,
  file_kneecoach_v1_outcome,
  file_kneecoach_v1_patient,
  file_kneecoach_v1_program,
  file_kneecoach_v1_protocol,
  file_kneecoach_v1_session,
].flatMap((file) => file.services);

// Registers a forwarding implementation of each unary method of each service on `router`.
// Returns the number of methods registered.
export function forwardAll(router, transport, options = limits) {
  let count = 0;
  for (const service of services) {
    const impl = {};
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;  // kneecoach.v1 has none other today
      impl[method.localName] = async (request, ctx) => {
        const header = new Headers();
        const auth = ctx.requestHeader.get("authorization");
        if (auth !== null) header.set("authorization", auth);
        // The browser's address, set by guarded() (never the browser's own header): the
        // server counts failed sign-ins per client, and from loopback it takes this one.
        const client = ctx.requestHeader.get("x-forwarded-for");
        if (client !== null) header.set("x-forwarded-for", client);
        try {
          const response = await transport.unary(method, ctx.signal, deadlineMs(ctx.timeoutMs(), options),
            header, request);
          return response.message;
        } catch (e) {
          throw relay(e);
        }
      };
      count++;
    }
    router.service(service, impl);
  }
  return count;
}

// The backend's status as the browser should see it. The transport turns the gRPC status
// into a ConnectError: code, message, and the details of grpc-status-details-bin as raw
// {type, value} pairs, which the Connect handler writes out byte for byte. Its metadata
// (the backend's response headers and trailers: content-type, grpc-status, ...) is not
// relayed: merged into the Connect response it would make the error unreadable.
//
// An error that did not come from the backend (no grpc-status in its metadata: the
// connection was refused, reset, or timed out before an answer) names the backend's
// address in its message ("connect ECONNREFUSED 127.0.0.1:50051"): the browser gets a
// fixed sentence instead, with the code (UNAVAILABLE, or DEADLINE_EXCEEDED / CANCELED).
export function relay(e) {
  const from = ConnectError.from(e, Code.Unavailable);
  if (!from.metadata.has("grpc-status")) {
    const code = [Code.DeadlineExceeded, Code.Canceled].includes(from.code) ? from.code : Code.Unavailable;
    return new ConnectError(code === Code.Unavailable ? "the server cannot be reached right now"
      : "the server did not answer in time", code);
  }
  const err = new ConnectError(from.rawMessage, from.code);
  err.details = from.details;
  return err;
}

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

// The app loads its script, style, manifest, icons and service worker from its own origin
// and calls only its own origin; nothing may frame it (clickjacking).
export const contentSecurityPolicy = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "connect-src 'self'", "manifest-src 'self'", "worker-src 'self'", "object-src 'none'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join("; ");
const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

// Serves files below `root`; "/" is index.html. Never leaves `root`. Text files go out
// gzipped when the browser takes it (compressed once per file version).
const compressible = new Set([".html", ".js", ".css", ".json", ".webmanifest", ".svg", ".ico"]);
function staticHandler(root) {
  const base = normalize(root + sep);
  const gzipped = new Map();  // path -> { mtimeMs, body }
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      // A malformed escape ("/%E0%A4%A") must not end the process.
      res.writeHead(400, { "content-type": "text/plain" }).end("bad path\n");
      return;
    }
    if (path.endsWith("/")) path += "index.html";
    if (path.endsWith(".map")) {  // the source would show the whole app's internals
      res.writeHead(404, { "content-type": "text/plain", ...securityHeaders }).end("not found\n");
      return;
    }
    const file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error("not a file");
      let body = await readFile(file);
      const headers = {
        "content-type": types[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
        vary: "accept-encoding",
        ...securityHeaders,
      };
      if (compressible.has(extname(file)) && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
        let hit = gzipped.get(file);
        if (!hit || hit.mtimeMs !== info.mtimeMs) {
          hit = { mtimeMs: info.mtimeMs, body: gzipSync(body) };
          gzipped.set(file, hit);
        }
        body = hit.body;
        headers["content-encoding"] = "gzip";
      }
      res.writeHead(200, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain", ...securityHeaders }).end("not found\n");
    }
  };
}

// A Connect error answer written by the gateway itself (before the Connect handler).
function refuse(res, status, code, message) {
  res.writeHead(status, { "content-type": "application/json", connection: "close", ...securityHeaders });
  res.end(JSON.stringify({ code, message }));
}

// Wraps `handler` with the limits that must hold before any byte of a body is read: the
// declared length, and the calls in flight per client address.
function guarded(handler, options) {
  const inFlight = new Map();
  return (req, res) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > options.maxBodyBytes) {
      refuse(res, 413, "resource_exhausted", `request body above ${options.maxBodyBytes} bytes`);
      req.socket.destroySoon?.();
      return;
    }
    const client = req.socket.remoteAddress ?? "";
    // What the server is told of the client: its socket's address, whatever the browser
    // wrote in the header.
    req.headers["x-forwarded-for"] = client;
    const n = inFlight.get(client) ?? 0;
    if (n >= options.maxInFlightPerClient) {
      refuse(res, 429, "resource_exhausted", "too many requests at once; try again in a moment");
      return;
    }
    inFlight.set(client, n + 1);
    res.once("close", () => {
      const left = (inFlight.get(client) ?? 1) - 1;
      if (left > 0) inFlight.set(client, left);
      else inFlight.delete(client);
    });
    handler(req, res);
  };
}

// Whether a call may be sent again to another replica after the first did not answer: a
// read (Get*, List*), or a write that carries a request_id (the server stores it once and
// replays its answer: AIP-155). Any other write might have run before the connection broke.
export function safeToResend(method, input) {
  if (/^(Get|List)/.test(method.name)) return true;
  return typeof input?.requestId === "string" && input.requestId !== "";
}

// A transport over several replicas' transports: each call goes to the next in turn. When
// a call gets no answer from its replica (no gRPC status: refused, reset, cut off) and
// safeToResend allows it, it is sent to the following replicas in turn before failing.
export function roundRobin(transports) {
  let next = 0;
  return {
    async unary(method, signal, timeoutMs, header, input, ...rest) {
      const first = next;
      next = (next + 1) % transports.length;
      let lastError;
      for (let i = 0; i < transports.length; i++) {
        const transport = transports[(first + i) % transports.length];
        try {
          return await transport.unary(method, signal, timeoutMs, header, input, ...rest);
        } catch (e) {
          const from = ConnectError.from(e, Code.Unavailable);
          const answered = from.metadata.has("grpc-status");
          if (answered || from.code !== Code.Unavailable || !safeToResend(method, input) ||
              signal?.aborted) {
            throw e;
          }
          lastError = e;
        }
      }
      throw lastError;
    },
  };
}

// Starts the gateway; resolves to the listening http.Server.
// `transport` replaces the gRPC transport to `backend` (tests); any key of `limits` may be
// given to change that limit.
export async function startGateway({ host = "127.0.0.1", port = 8080, backend, staticDir, transport, ...rest }) {
  const options = { ...limits, ...rest };
  const backends = String(backend).split(",").map((b) => b.trim()).filter((b) => b !== "")
    .map((b) => (b.includes("://") ? b : `http://${b}`));
  transport ??= backends.length === 1 ? createGrpcTransport({ baseUrl: backends[0] })
    : roundRobin(backends.map((baseUrl) => createGrpcTransport({ baseUrl })));
  let methods = 0;
  const handler = connectNodeAdapter({
    routes: (router) => {
      methods = forwardAll(router, transport, options);
    },
    fallback: staticHandler(staticDir),
    readMaxBytes: options.maxBodyBytes,  // a chunked body: refused once it passes the limit
  });
  const server = createServer({
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs),
  }, guarded(handler, options));
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  console.log(`gateway: ${methods} methods of ${services.length} services -> ${backends.join(", ")}`);
  console.log(`gateway listening on http://${addr.address}:${addr.port}`);
  return server;
}

function flag(name, env, fallback) {
  const prefix = `--${name}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  if (arg !== undefined) return arg.slice(prefix.length);
  return process.env[env] ?? fallback;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  if (process.argv.includes("--help")) {
    console.log("usage: gateway/server.mjs [--port=8080] [--host=127.0.0.1] " +
      "[--backend=http://127.0.0.1:50051] [--static=DIR]");
    process.exit(0);
  }
  const backendFlag = flag("backend", "KNEECOACH_BACKEND", "http://127.0.0.1:50051");
  startGateway({
    host: flag("host", "KNEECOACH_GATEWAY_HOST", "127.0.0.1"),
    port: Number(flag("port", "KNEECOACH_GATEWAY_PORT", "8080")),
    backend: backendFlag,
    staticDir: flag("static", "KNEECOACH_STATIC", join(here, "..", "app", "dist")),
  }).catch((e) => {
    console.error(`gateway: ${e.message}`);
    process.exit(1);
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
}

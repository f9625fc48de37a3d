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
//   node gateway/server.mjs [--port=8080] [--host=127.0.0.1] [--backend=http://127.0.0.1:50051]
//                           [--static=app/dist]
//   env: KNEECOACH_GATEWAY_PORT, KNEECOACH_GATEWAY_HOST, KNEECOACH_BACKEND, KNEECOACH_STATIC
// --port=0 picks a free port; the log line "gateway listening on http://HOST:PORT" says which.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
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
export function forwardAll(router, transport) {
  let count = 0;
  for (const service of services) {
    const impl = {};
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;  // kneecoach.v1 has none other today
      impl[method.localName] = async (request, ctx) => {
        const header = new Headers();
        const auth = ctx.requestHeader.get("authorization");
        if (auth !== null) header.set("authorization", auth);
        try {
          const response = await transport.unary(method, ctx.signal, ctx.timeoutMs(), header, request);
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
export function relay(e) {
  const from = ConnectError.from(e, Code.Unavailable);
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
  ".map": "application/json",
};

// Serves files below `root`; "/" is index.html. Never leaves `root`.
function staticHandler(root) {
  const base = normalize(root + sep);
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
    const file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": types[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  };
}

// Starts the gateway; resolves to the listening http.Server.
export async function startGateway({ host = "127.0.0.1", port = 8080, backend, staticDir }) {
  const transport = createGrpcTransport({ baseUrl: backend });
  let methods = 0;
  const handler = connectNodeAdapter({
    routes: (router) => {
      methods = forwardAll(router, transport);
    },
    fallback: staticHandler(staticDir),
  });
  const server = createServer(handler);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  console.log(`gateway: ${methods} methods of ${services.length} services -> ${backend}`);
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
    backend: backendFlag.includes("://") ? backendFlag : `http://${backendFlag}`,
    staticDir: flag("static", "KNEECOACH_STATIC", join(here, "..", "app", "dist")),
  }).catch((e) => {
    console.error(`gateway: ${e.message}`);
    process.exit(1);
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
}

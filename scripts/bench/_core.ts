/**
 * The `core` contender: hussar's own API, without `serve()`'s Fetch
 * objects: `new Hussar({ handler: httpHandler(app) })` on `listen()`, the
 * app answering `_handlers.ts`'s routes with plain `{ status, headers, body }`
 * objects. Default limits and deadlines stay on (with `--slow`, for runs
 * under valgrind, stretched a hundredfold: see `_direct.ts`'s `TIMEOUTS`).
 *
 * @module
 */
import { Hussar } from "../../core/mod.ts";
import { httpHandler, type HttpResponse, type IncomingRequest } from "../../httputil/mod.ts";
import { listen } from "../../sources/mod.ts";
import { HELLO, STREAM_CHUNK, STREAM_CHUNKS } from "./_handlers.ts";
import type { AwayCall } from "../../scheduler/mod.ts";
import { TIMEOUTS } from "./_direct.ts";

const TEXT = { "content-type": "text/plain;charset=UTF-8" };
const JSON_TYPE = { "content-type": "application/json" };
const chunk = new Uint8Array(STREAM_CHUNK).fill(0x61);

function* echo(request: IncomingRequest): AwayCall<HttpResponse> {
  return { status: 200, headers: JSON_TYPE, body: yield* request.body.readAll() };
}

function* upload(request: IncomingRequest): AwayCall<HttpResponse> {
  let total = 0;
  for (let part = yield* request.body.read(); part !== null; part = yield* request.body.read()) {
    total += part.length;
  }
  return { status: 200, headers: TEXT, body: String(total) };
}

async function* stream(): AsyncIterable<Uint8Array> {
  for (let i = 0; i < STREAM_CHUNKS; i++) yield chunk.slice();
}

function app(request: IncomingRequest): HttpResponse | AwayCall<HttpResponse> {
  const target = request.head.target;
  if (target === "/") return { status: 200, headers: TEXT, body: HELLO };
  if (target === "/echo") return echo(request);
  if (target === "/upload") return upload(request);
  if (target === "/stream") {
    return { status: 200, headers: { "content-type": "application/octet-stream" }, body: stream() };
  }
  return { status: 404, headers: TEXT, body: "not found" };
}

/** Starts the core contender on `hostname:port`; resolves once it listens. */
export async function startCore(hostname: string, port: number): Promise<void> {
  const hussar = new Hussar({ handler: httpHandler(app, TIMEOUTS) });
  await hussar.attachSource(await listen({ hostname, port }));
}

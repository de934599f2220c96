/**
 * Helpers of the tests of HTTP/2 through `serve()`: a server on loopback
 * that is closed after each test, Node's `http2` client (on every runtime),
 * external programs, and the check that a server holds nothing once its
 * clients are gone.
 *
 * @module
 */
import { afterEach } from "../_testing.ts";
import * as http2 from "node:http2";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import process from "node:process";
import assert from "node:assert/strict";
import {
  CONNECTION_PREFACE,
  type DataFrame,
  ErrorCode,
  type Frame,
  FrameParser,
  FrameType,
  type GoawayFrame,
  HpackDecoder,
  HpackEncoder,
  type RstStreamFrame,
  serializeHeaders,
  serializeSettings,
  SETTINGS_ACK,
} from "../../http2/mod.ts";
import { type HttpServer, serve } from "../../serve/mod.ts";
import type { FetchHandler, ServeOptions } from "../../serve/types.ts";
import { until } from "../_until.ts";

const started: HttpServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.close();
});

/** `serve()` on 127.0.0.1 with a free port, closed after the test; `options` added to the defaults. */
export async function start(
  handler: FetchHandler,
  options: ServeOptions = {},
): Promise<HttpServer> {
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {}, ...options }, handler);
  started.push(server);
  await server.ready;
  return server;
}

/** Resolves once the server has no connection and no thread but its core's manager left. */
export function holdsNothing(server: HttpServer): Promise<void> {
  const { hussar } = server;
  return until(
    () => hussar.connectionCount === 0 && hussar.scheduler.threadCount <= 1,
    10_000,
    `the server to hold nothing (connections ${hussar.connectionCount}, threads ${hussar.scheduler.threadCount})`,
  );
}

/**
 * Worker mode's {@linkcode holdsNothing}: resolves once the main thread has
 * no shuttle left (pool and core) and every worker holds no slot, no
 * connection, no timer and no thread but its core's manager.
 */
export async function workersHoldNothing(server: HttpServer): Promise<void> {
  const pool = server.workerPool;
  if (pool === null) throw new TypeError("not a worker-mode server");
  const { hussar } = server;
  let seen = "";
  for (const deadline = Date.now() + 10_000;;) {
    const workers = await pool.workerStats();
    const held = { pool: pool.stats().shuttles, core: hussar.stats().shuttles, workers };
    if (
      held.pool === 0 && held.core === 0 && hussar.scheduler.threadCount <= 1 &&
      workers.every((w) =>
        w !== null && w.slots === 0 && w.connections === 0 && w.timers === 0 && w.threads <= 1
      )
    ) return;
    seen = JSON.stringify(held);
    if (Date.now() > deadline) throw new Error(`after 10 s the server still holds ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A session of Node's HTTP/2 client, its errors collected rather than thrown. */
export function connect(
  url: string,
  options: http2.ClientSessionOptions | http2.SecureClientSessionOptions = {},
): http2.ClientHttp2Session & { errors: unknown[] } {
  const client = http2.connect(url, options) as http2.ClientHttp2Session & { errors: unknown[] };
  client.errors = [];
  client.on("error", (error) => client.errors.push(error));
  return client;
}

/** Closes a client session and waits until it is closed. */
export function closeClient(client: http2.ClientHttp2Session): Promise<void> {
  if (client.closed || client.destroyed) return Promise.resolve();
  return new Promise((resolve) => client.close(() => resolve()));
}

/** A response as Node's client saw it. */
export interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** One request on `client`: its response, whole. */
export function request(
  client: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string | Uint8Array,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = client.request(headers, { endStream: body === undefined });
    let text = "";
    let responseHeaders: http2.IncomingHttpHeaders = {};
    stream.setEncoding("utf8");
    stream.on("response", (h) => responseHeaders = h);
    stream.on("data", (chunk: string) => text += chunk);
    stream.on(
      "end",
      () =>
        resolve({
          status: Number(responseHeaders[":status"]),
          headers: responseHeaders,
          body: text,
        }),
    );
    stream.on("error", reject);
    if (body !== undefined) stream.end(body);
  });
}

/** Runs `command`, resolving with its exit code and output (stdout, then stderr). */
export function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => out += s);
  child.stderr.setEncoding("utf8").on("data", (s: string) => err += s);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out, err })));
}

/** A program the tests call: skipped without it, except under CI, where it must be there. */
export function skipWithout(path: string, what: string): string | false {
  if (existsSync(path) || process.env.CI === "true") return false;
  const skip = `no ${path} (apt-get install ${what}): skipped`;
  // Deno and Bun do not print a skip's reason: say it here.
  console.log(`tests/http2: ${skip}`);
  return skip;
}

/** curl, h2load and nghttp where Debian puts them (elsewhere: `HUSSAR_H2LOAD`, `HUSSAR_NGHTTP`). */
export const CURL = "/usr/bin/curl";
export const H2LOAD = process.env.HUSSAR_H2LOAD ?? "/usr/bin/h2load";
export const NGHTTP = process.env.HUSSAR_NGHTTP ?? "/usr/bin/nghttp";

/** curl's answer: the body, then the HTTP version it spoke on a line of its own. */
export async function curl(args: string[]): Promise<{ body: string; version: string }> {
  const { code, out, err } = await run(CURL, [
    "-sS",
    "--max-time",
    "20",
    "-w",
    "\n%{http_version}",
    ...args,
  ]);
  assert.equal(code, 0, err);
  const at = out.lastIndexOf("\n");
  return { body: out.slice(0, at), version: out.slice(at + 1) };
}

/** h2load's 2000 requests to `/load`, 10 at a time on each of 4 connections: every one a 200. */
export async function h2loadCompletes(port: number): Promise<void> {
  const { code, out, err } = await run(H2LOAD, [
    "-n",
    "2000",
    "-c",
    "4",
    "-m",
    "10",
    "-T",
    "30",
    `http://127.0.0.1:${port}/load`,
  ]);
  assert.equal(code, 0, out + err);
  assert.match(out, /2000 succeeded, 0 failed, 0 errored/, out);
  assert.match(out, /status codes: 2000 2xx/, out);
}

/**
 * Graceful shutdown with a stream open (RFC 9113 §6.8), over raw frames:
 * GOAWAY(NO_ERROR) names stream 1 as the last, a stream opened after it is
 * refused, and stream 1 finishes before `shutdown()` settles. Resolves with
 * the server, its connection closed, for the caller's checks.
 */
export async function shutsDownGracefully(options: ServeOptions = {}): Promise<HttpServer> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered = 0;
  const server = await start(async () => {
    entered++;
    await gate;
    return new Response("finished");
  }, options);
  const raw = await RawClient.connect(server.port!);
  try {
    raw.send(raw.headers(1, "GET", "/slow", true));
    await until(() => entered === 1, 10_000, "the handler to run");
    let stopped = false;
    const stopping = server.shutdown().then(() => stopped = true);
    const goaway = await raw.next((f) => f.type === FrameType.GOAWAY) as GoawayFrame;
    assert.deepEqual([goaway.errorCode, goaway.lastStreamId], [ErrorCode.NO_ERROR, 1]);
    // A stream opened after it is refused; the handler never sees it.
    raw.send(raw.headers(3, "GET", "/late", true));
    const refused = await raw.next((f) => f.type === FrameType.RST_STREAM) as RstStreamFrame;
    assert.deepEqual([refused.streamId, refused.errorCode], [3, ErrorCode.REFUSED_STREAM]);
    assert.equal(stopped, false);
    release();
    const data = await raw.next((f) => f.type === FrameType.DATA && f.streamId === 1) as DataFrame;
    assert.equal(new TextDecoder().decode(data.data), "finished");
    assert.equal(data.endStream, true);
    await raw.closed();
    await stopping;
    assert.equal(entered, 1);
  } finally {
    raw.close();
  }
  return server;
}

/**
 * A client that speaks raw frames over a socket, for what Node's client
 * will not do on purpose: send past a window, watch each frame the server
 * sends. It sends the preface and an empty SETTINGS on connect, and
 * acknowledges the server's SETTINGS.
 */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder();
  readonly #socket: Socket;
  readonly #parser = new FrameParser({ preface: false });
  #waiters: (() => void)[] = [];
  #ended = false;
  readonly #fields = new WeakMap<Frame, Map<string, string>>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#parser.push(new Uint8Array(chunk));
      for (let frame = this.#parser.next(); frame !== null; frame = this.#parser.next()) {
        if (frame.type === FrameType.SETTINGS && !frame.ack) socket.write(SETTINGS_ACK);
        // Every block decoded in order, as HPACK requires.
        if (frame.type === FrameType.HEADERS) {
          const fields = this.decoder.decode(frame.headerBlock);
          const map = new Map<string, string>();
          for (let i = 0; i < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
          this.#fields.set(frame, map);
        }
        this.frames.push(frame);
      }
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", () => {});
  }

  /** Connects to 127.0.0.1:`port` and sends the client preface. */
  static connect(
    port: number,
    settings: Parameters<typeof serializeSettings>[0] = {},
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => {
        socket.off("error", reject);
        const client = new RawClient(socket);
        client.send(CONNECTION_PREFACE, serializeSettings(settings));
        resolve(client);
      });
      socket.once("error", reject);
    });
  }

  /** The fields of a HEADERS frame received (a later field of the same name wins). */
  fieldsOf(frame: Frame): Map<string, string> {
    const fields = this.#fields.get(frame);
    if (fields === undefined) throw new TypeError("not a HEADERS frame received");
    return fields;
  }

  /** Writes bytes (frames) to the server. */
  send(...chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.#socket.write(chunk);
  }

  /** A HEADERS frame opening stream `id` with a request for `path`. */
  headers(
    id: number,
    method: string,
    path: string,
    endStream: boolean,
    extra: [string, string][] = [],
  ): Uint8Array {
    const block = this.encoder.encode([
      [":method", method],
      [":scheme", "http"],
      [":authority", "127.0.0.1"],
      [":path", path],
      ...extra,
    ]);
    return serializeHeaders(id, block, endStream);
  }

  /** The first frame from `from` on that passes `test`; rejects after `ms` or at the end of input. */
  async next(test: (frame: Frame) => boolean, from = 0, ms = 10_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.slice(from).find(test);
      if (found !== undefined) return found;
      if (this.#ended) throw new Error("the server closed the connection");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such frame within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server has closed the connection. */
  async closed(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      if (Date.now() > deadline) throw new Error(`the connection still open after ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes the socket. */
  close(): void {
    this.#socket.destroy();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

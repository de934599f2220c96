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
import process from "node:process";
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

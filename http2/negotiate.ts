/**
 * Which protocol a connection speaks, with no option needed: HTTP/2 when
 * TLS agreed on `h2` (ALPN) or a cleartext connection opens with the
 * HTTP/2 preface (prior knowledge, RFC 9113 §3.3), HTTP/1.1 otherwise.
 *
 * @module
 */

import { ConnectionClosedError, DeadlineError } from "../core/errors.ts";
import type { Connection } from "../core/connection.ts";
import type { HussarHandler } from "../core/hussar.ts";
import { concatBytes } from "../internal/bytes.ts";
import { type AwayCall, type ThreadGenerator, wait } from "../scheduler/mod.ts";
import { isPreface } from "./frame.ts";

/**
 * A connection handler that runs `http2` on connections that speak HTTP/2
 * (ALPN `h2`, or the preface as first bytes) and `http1` on the others.
 * The first bytes are read under `headersTimeoutMs` and put back for the
 * handler chosen; a connection that says nothing in time is closed.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { http2Handler, negotiateHandler } from "@hussar/core/http2";
 * import { httpHandler } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const app = () => ({ status: 200, body: "hi" });
 * const hussar = new Hussar({
 *   handler: negotiateHandler(httpHandler(app), http2Handler(app), { headersTimeoutMs: 30_000 }),
 * });
 * const source = new FakeSource();
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
 * console.log((await client.readText()).startsWith("HTTP/1.1 200")); // true
 * await hussar.close();
 * ```
 */
export function negotiateHandler(
  http1: HussarHandler,
  http2: HussarHandler,
  options: { headersTimeoutMs: number },
): HussarHandler {
  return (conn, frame, pubframe) =>
    conn.info.alpnProtocol === "h2"
      ? http2(conn, frame, pubframe)
      : sniff(conn, (h2) => (h2 ? http2 : http1)(conn, frame, pubframe), options.headersTimeoutMs);
}

/** Reads until the first bytes tell the preface from anything else, then runs the handler chosen. */
function* sniff(
  conn: Connection,
  choose: (h2: boolean) => ThreadGenerator | PromiseLike<unknown>,
  headersTimeoutMs: number,
): AwayCall<unknown> {
  conn.phase = "waiting";
  conn.setDeadline(headersTimeoutMs, "headers");
  let bytes: Uint8Array | null = null;
  let h2: boolean | null = null;
  try {
    while (h2 === null) {
      const chunk = conn.readNow() ?? (yield* conn.read());
      if (chunk === null) {
        // The input ended within a prefix of the preface: put back what came for HTTP/1.1 to judge.
        h2 = false;
        break;
      }
      bytes = bytes === null ? chunk : concatBytes([bytes, chunk]);
      h2 = isPreface(bytes);
    }
  } catch (error) {
    if (error instanceof DeadlineError) return conn.close("nothing received in time");
    if (error instanceof ConnectionClosedError) return;
    throw error;
  }
  if (bytes !== null) conn.unread(bytes);
  const body = choose(h2);
  if (typeof (body as PromiseLike<unknown>).then === "function") {
    return yield* wait(body as PromiseLike<unknown>);
  }
  return yield* body as ThreadGenerator;
}

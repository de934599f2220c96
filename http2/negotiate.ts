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
import {
  type Signal,
  Stepper,
  type ThreadGenerator,
  type ThreadYield,
  wait,
} from "../scheduler/mod.ts";
import { PARK_INPUT, UNPARK } from "../internal/connection_slots.ts";
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
      : new Sniff(conn, http1, http2, frame, pubframe, options.headersTimeoutMs).asThreadBody();
}

const { PARKED, DONE } = Stepper;

/**
 * A connection's thread body that reads until the first bytes tell the
 * preface from anything else, puts them back, then steps the chosen
 * handler's body. A generator doing so would stay under the handler's for
 * the connection's life: a frame resumed at every wake, and, on an idle
 * connection, kept with its register file and closure (about 270 B on V8).
 * It waits for bytes in no frame either (see `internal/connection_slots.ts`).
 */
class Sniff extends Stepper {
  readonly #conn: Connection;
  #http1: HussarHandler | null;
  #http2: HussarHandler | null;
  #frame: Record<string, unknown> | null;
  #pubframe: Record<string, unknown> | null;
  readonly #headersTimeoutMs: number;
  /** The bytes read so far. */
  #bytes: Uint8Array | null = null;
  /** The chosen handler's body, once chosen. */
  #body: ThreadGenerator | null = null;
  #state: "new" | "reading" | "parked" | "done" = "new";

  constructor(
    conn: Connection,
    http1: HussarHandler,
    http2: HussarHandler,
    frame: Record<string, unknown>,
    pubframe: Record<string, unknown>,
    headersTimeoutMs: number,
  ) {
    super();
    this.#conn = conn;
    this.#http1 = http1;
    this.#http2 = http2;
    this.#frame = frame;
    this.#pubframe = pubframe;
    this.#headersTimeoutMs = headersTimeoutMs;
  }

  next(signal: Signal): IteratorResult<ThreadYield, unknown> {
    if (this.#body !== null) return this.#body.next(signal);
    const conn = this.#conn;
    switch (this.#state) {
      case "done":
        return DONE;
      case "new":
        conn.phase = "waiting";
        conn.setDeadline(this.#headersTimeoutMs, "headers");
        break;
      case "parked":
        conn[UNPARK]();
    }
    this.#state = "reading";
    let h2: boolean | null = null;
    try {
      while (h2 === null) {
        const chunk = conn.readNow();
        if (chunk === undefined) {
          conn[PARK_INPUT]();
          this.#state = "parked";
          return PARKED;
        }
        if (chunk === null) {
          // The input ended within a prefix of the preface: put back what came for HTTP/1.1 to judge.
          h2 = false;
          break;
        }
        const bytes = this.#bytes = this.#bytes === null
          ? chunk
          : concatBytes([this.#bytes, chunk]);
        h2 = isPreface(bytes);
      }
    } catch (error) {
      return this.#failed(error);
    }
    return this.#choose(h2, signal);
  }

  return(value?: unknown): IteratorResult<ThreadYield, unknown> {
    if (this.#body !== null) return this.#body.return(value);
    this.#end();
    return { done: true, value };
  }

  throw(error: unknown): IteratorResult<ThreadYield, unknown> {
    if (this.#body !== null) return this.#body.throw(error);
    return this.#failed(error);
  }

  /** Runs the handler for `h2` on the bytes read, put back; it goes on in this step. */
  #choose(h2: boolean, signal: Signal): IteratorResult<ThreadYield, unknown> {
    const conn = this.#conn;
    if (this.#bytes !== null) conn.unread(this.#bytes);
    const body = (h2 ? this.#http2! : this.#http1!)(conn, this.#frame!, this.#pubframe!);
    this.#release();
    this.#body = typeof (body as PromiseLike<unknown>).then === "function"
      ? wait(body as PromiseLike<unknown>)
      : body as ThreadGenerator;
    return this.#body.next(signal);
  }

  /** Nothing came in time, or the connection went: the body ends; other errors go on up. */
  #failed(error: unknown): IteratorResult<ThreadYield, unknown> {
    this.#end();
    if (error instanceof DeadlineError) {
      this.#conn.close("nothing received in time");
      return DONE;
    }
    if (error instanceof ConnectionClosedError) return DONE;
    throw error;
  }

  #end(): void {
    if (this.#state === "parked") this.#conn[UNPARK]();
    this.#state = "done";
    this.#release();
  }

  /** Drops what only the choice needed: an idle connection keeps none of it. */
  #release(): void {
    this.#bytes =
      this.#http1 =
      this.#http2 =
      this.#frame =
      this.#pubframe =
        null;
  }
}

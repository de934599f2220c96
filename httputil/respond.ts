import type { Connection } from "../core/connection.ts";
import { type AwayCall, wait } from "../scheduler/mod.ts";
import { LAST_CHUNK, type ResponseHead, type SerializeResponseOptions } from "./serialize.ts";
import { chunkFraming, CRLF_LAST_CHUNK } from "./_chunk_framing.ts";
import { headBytes, outgoingText, pairsOf, wholeResponseBytes } from "./_response_bytes.ts";
import { isNullBodyStatus } from "./status.ts";
import { WRITE_ALONE_BYTES } from "../internal/bytes.ts";
import { takeGathered } from "../internal/gathered.ts";
import { FLUSH_NOW, SHARED_OUTPUT, WAIT_OUTPUT } from "../internal/connection_slots.ts";

/** A response body: bytes, text, nothing, or a stream of bytes. */
export type ResponseBody =
  | Uint8Array
  | string
  | null
  | undefined
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/**
 * A response to write with {@linkcode respond}.
 *
 * @example
 * ```ts
 * import type { HttpResponse } from "@hussar/core/httputil";
 * const response: HttpResponse = { status: 200, headers: { "content-type": "text/plain" }, body: "hi" };
 * console.log(response.status);
 * ```
 */
export interface HttpResponse {
  /** Status code, 100-599. */
  status: number;
  /** Reason phrase (default: the registered one). */
  statusText?: string;
  /** Header fields; framing headers (Content-Length, Transfer-Encoding) are computed. */
  headers?: Iterable<readonly [string, string]> | Record<string, string>;
  /** The body. */
  body?: ResponseBody;
  /**
   * Called by {@linkcode httpHandler} once the response was fully handed to
   * the transport (no argument), or when writing it failed (the error).
   */
  onWritten?: (error?: unknown) => void;
  /**
   * With status 101: once the head is written, {@linkcode httpHandler}
   * hands the connection to this hook instead of reading another request,
   * and closes it when the hook finishes. `shutdown` aborts when the server
   * shuts down, so the new protocol can say goodbye.
   */
  upgrade?: (
    conn: Connection,
    context: { shutdown?: AbortSignal },
  ) => AwayCall<void> | PromiseLike<void>;
}

/**
 * What a response must know about the request it answers.
 *
 * @example
 * ```ts
 * import type { RequestContext } from "@hussar/core/httputil";
 * const context: RequestContext = { method: "HEAD", version: "1.1", keepAlive: true };
 * console.log(context.method);
 * ```
 */
export interface RequestContext {
  /** The request method (a HEAD response has no body). */
  method: string;
  /** The request's HTTP version (framing of unknown-length bodies differs). */
  version: "1.0" | "1.1";
  /** Whether the connection stays open after this response. */
  keepAlive: boolean;
  /** Seconds to advertise as `Keep-Alive: timeout=N` when the connection stays open (default: none). */
  keepAliveTimeout?: number;
  /**
   * Each time the writer waits for the client to take queued output (above
   * the high-water mark, or at the end), the client has this long before the
   * wait throws `DeadlineError` (default: no limit). Waiting for the body's
   * producer is never timed.
   */
  writeTimeoutMs?: number;
}

const DEFAULT_CONTEXT: RequestContext = { method: "GET", version: "1.1", keepAlive: true };

/**
 * Writes a whole response on `conn`: the head (with `Date`, and
 * `Content-Length` when the body's size is known, from the bytes or from a
 * stream's own `Content-Length` header, chunked encoding otherwise), then
 * the body, with backpressure. A stream body is read as it
 * is written and cancelled if the connection fails.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { respond, waitForHeaders } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     yield* waitForHeaders(conn);
 *     yield* respond(conn, { status: 200, body: "hello" }, { method: "GET", version: "1.1", keepAlive: false });
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * console.log((await client.readText()).split("\r\n")[0]); // HTTP/1.1 200 OK
 * await hussar.close();
 * ```
 */
export function* respond(
  conn: Connection,
  response: HttpResponse,
  request: RequestContext = DEFAULT_CONTEXT,
): AwayCall<void> {
  const rest = respondNow(conn, response, request);
  if (rest !== null) yield* rest;
}

/**
 * @internal {@linkcode respond} without a generator where nothing waits: a
 * body at hand (bytes, a string or none) leaves with its head as one buffer,
 * and when the client needs not be waited for, returns `null`: the response
 * is done. Else returns what is left to run (`yield*` it).
 *
 * `closing`: the caller closes the connection next (the engine, on a
 * connection not kept alive). A body at hand is then not waited for: the
 * connection sends it before it closes, under the write timeout set here as
 * its deadline, which the core enforces after the thread has ended.
 */
export function respondNow(
  conn: Connection,
  response: HttpResponse,
  request: RequestContext = DEFAULT_CONTEXT,
  closing = false,
): AwayCall<void> | null {
  const given = response.body;
  const body = typeof given === "string" ? outgoingText(given) : given;
  if (
    body === null || body === undefined || typeof body === "string" || body instanceof Uint8Array
  ) {
    const length = body?.length ?? 0;
    writeResponseHead(conn, response, request, length, body ?? null);
    // All of it is queued: the peer's end of input no longer means it gave up (see `#finish`).
    conn.watchPeerEnd(false);
    if (conn.keepAlive && conn.flushed()) return null;
    if (!conn.keepAlive) {
      // The last response: sent now, and if the transport took it all, nothing is left to wait
      // for (no writer, nor a wake and a turn per connection). `flushed()` throws if it failed.
      conn[FLUSH_NOW]();
      if (conn.bufferedAmount === 0 && conn.flushed()) return null;
      if (closing) {
        // The connection sends the rest before it closes, under the write timeout as its
        // deadline, which the core enforces after the thread has ended.
        if (request.writeTimeoutMs !== undefined) {
          conn.setDeadline(request.writeTimeoutMs, "write timeout");
        }
        return null;
      }
    }
    // The client is to be waited for: a writer, ended, does it.
    const writer = new ResponseWriter(
      conn,
      false,
      isBodyless(response, request),
      length,
      request.writeTimeoutMs,
      length,
    );
    return endNow(writer);
  }
  return respondStreamed(conn, response, request, body);
}

function* respondStreamed(
  conn: Connection,
  response: HttpResponse,
  request: RequestContext,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AwayCall<void> {
  let writer: ResponseWriter;
  try {
    // A stream of a declared size goes out with that Content-Length (checked as it is written).
    // Its head waits for the first chunk, to leave with it (see `ResponseWriter#headAfter`).
    writer = writerOn(conn, response, request, declaredLength(response.headers), true);
  } catch (error) {
    // The head could not go out (the client left): the producer is told, not left waiting.
    const stopping = body instanceof ReadableStream
      ? body.cancel()
      : body[Symbol.asyncIterator]().return?.();
    stopping?.then(undefined, () => {});
    throw error;
  }
  yield* writer.pipeFrom(body);
}

/** The response's own Content-Length, if it gives a valid one. */
function declaredLength(headers: HttpResponse["headers"]): number | null {
  if (headers === undefined) return null;
  let value: string | null | undefined;
  if (typeof (headers as Headers).get === "function") {
    value = (headers as Headers).get("content-length");
  } else if (Symbol.iterator in headers) {
    for (const [name, each] of headers as Iterable<readonly [string, string]>) {
      if (name.toLowerCase() === "content-length") value = each;
    }
  } else {
    for (const [name, each] of Object.entries(headers as Record<string, string>)) {
      if (name.toLowerCase() === "content-length") value = each;
    }
  }
  return value !== null && value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : null;
}

/** `ResponseWriter`'s `#endNow`, for `respondNow`. */
let endNow: (writer: ResponseWriter) => AwayCall<void> | null;

/**
 * Writes a response piece by piece: the head now, body chunks as they come.
 * Returned by {@linkcode respondOn}.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { respondOn, waitForHeaders } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     yield* waitForHeaders(conn);
 *     const writer = respondOn(conn, { status: 200 }, { method: "GET", version: "1.1", keepAlive: false });
 *     for (const word of ["one ", "two"]) {
 *       writer.write(new TextEncoder().encode(word));
 *       yield* writer.flush();
 *     }
 *     yield* writer.end();
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * console.log((await client.readText()).endsWith("0\r\n\r\n")); // true: chunked
 * await hussar.close();
 * ```
 */
export class ResponseWriter {
  readonly #conn: Connection;
  readonly #chunked: boolean;
  readonly #bodyless: boolean;
  readonly #length: number | null;
  readonly #writeTimeoutMs: number | undefined;
  #written = 0;
  #ended = false;
  /** While `pipeFrom()` runs: a pump whose thread has stopped (killed, failed) writes no more. */
  #piping = false;
  /** The head, not yet written: it waits for the body's first chunk (see `#headAfter`). */
  #head: Uint8Array | null = null;
  /** The step a pump took after its run, for the next pump to write (see `#pump`). */
  #carried: IteratorResult<Uint8Array> | null = null;
  /** The step `#lookAhead` watches for, once settled (one closure per writer, not per chunk). */
  #ahead: IteratorResult<Uint8Array> | null = null;
  readonly #landAhead = (step: IteratorResult<Uint8Array>): void => void (this.#ahead = step);

  /** @internal Use {@linkcode respondOn}. */
  constructor(
    conn: Connection,
    chunked: boolean,
    bodyless: boolean,
    length: number | null,
    writeTimeoutMs?: number,
    written = 0,
    head: Uint8Array | null = null,
  ) {
    this.#head = head;
    this.#written = written;
    this.#conn = conn;
    this.#chunked = chunked;
    this.#bodyless = bodyless;
    this.#length = length;
    this.#writeTimeoutMs = writeTimeoutMs;
  }

  /** Body bytes written so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Whether {@linkcode ResponseWriter.end} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Queues a body chunk (framed as needed); use `yield* flush()` for backpressure. */
  write(chunk: Uint8Array): void {
    if (this.#ended) throw new TypeError("the response has ended");
    if (chunk.length === 0) return;
    if (this.#head !== null) this.#writeHead();
    this.#written += chunk.length;
    if (this.#length !== null && this.#written > this.#length) {
      throw new RangeError(`response body exceeds its Content-Length of ${this.#length}`);
    }
    if (this.#bodyless) return; // HEAD, 204, 304: the body is counted, never sent
    if (!this.#chunked) return this.#conn.write(chunk);
    // Framed around the chunk, not copied with it (a transport without a gathered write
    // joins them where that is cheap: Bun's). The CRLF that ends a chunk leaves with what
    // follows it, the next size line or the last chunk, in one buffer, as uWS does too.
    this.#conn.write(chunkFraming(chunk.length, this.#written > chunk.length));
    this.#conn.write(chunk);
  }

  /** Queues the head held for the first chunk. */
  #writeHead(): void {
    const head = this.#head!;
    this.#head = null;
    this.#conn.write(head);
  }

  /** Parks while the connection holds more than its high-water mark. */
  *flush(): AwayCall<void> {
    if (!this.#sent()) yield* this.#timed(this.#conn.flush());
  }

  /**
   * Whether the connection is at most at its high-water mark once output
   * above it is sent (now, not at the turn's end): mostly so for a peer that
   * keeps up, which spares `flush()`'s generators.
   */
  #sent(): boolean {
    const conn = this.#conn;
    if (conn.bufferedAmount > conn.highWaterMark) conn[FLUSH_NOW]();
    return conn.flushed();
  }

  /** Runs a wait on the client under the write timeout, if any. */
  *#timed(waitForClient: AwayCall<void>): AwayCall<void> {
    if (this.#writeTimeoutMs === undefined) return yield* waitForClient;
    this.#conn.setDeadline(this.#writeTimeoutMs, "write timeout");
    yield* waitForClient;
    this.#conn.clearDeadline();
  }

  /**
   * Ends the body (last chunk for chunked). On a connection kept alive it
   * then parks only as `flush()` does, above the high-water mark: the next
   * exchange need not wait for these bytes to leave (`conn.whenWritten`
   * says when they have). On a connection that closes after this response,
   * it waits until all is handed to the transport.
   */
  *end(): AwayCall<void> {
    if (this.#ended) return;
    this.#finish();
    yield* this.#settle();
  }

  static {
    endNow = (writer) => writer.#endNow();
  }

  /**
   * `end()` without a generator where nothing waits: `null` once the
   * response is ended and the client need not be waited for, else the wait
   * left to run (`yield*` it).
   */
  #endNow(): AwayCall<void> | null {
    if (this.#ended) return null;
    this.#finish();
    return this.#conn.keepAlive && this.#conn.flushed() ? null : this.#settle();
  }

  #finish(): void {
    if (this.#length !== null && this.#written !== this.#length && !this.#bodyless) {
      throw new RangeError(`response body has ${this.#written} of its ${this.#length} bytes`);
    }
    if (this.#head !== null) this.#writeHead();
    this.#ended = true;
    if (this.#chunked) {
      // The CRLF ends the last data chunk, if any.
      this.#conn.write(this.#written > 0 ? CRLF_LAST_CHUNK : LAST_CHUNK);
    }
    // The whole response is queued: an end of the client's input from here on no longer means
    // it gave up (a client that half-closes after its request still gets what is on its way).
    this.#conn.watchPeerEnd(false);
  }

  /** A kept-alive connection goes on under the high-water mark; one about to close waits for all. */
  *#settle(): AwayCall<void> {
    if (this.#conn.keepAlive) return yield* this.flush();
    yield* this.#timed(this.#conn.drain());
  }

  /** Writes every chunk of `body`, then ends; cancels the stream if writing fails. */
  *pipeFrom(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AwayCall<void> {
    const iterator: AsyncIterator<Uint8Array> = body instanceof ReadableStream
      ? streamIterator(body)
      : body[Symbol.asyncIterator]();
    let finished = false;
    // A client that leaves while the producer has nothing to say cancels it now, not at its
    // next chunk, which may never come (an event stream gone quiet).
    const stop = (): void => void iterator.return?.()?.then(undefined, () => {});
    this.#conn.onClose(stop);
    this.#piping = true;
    try {
      if (this.#writeGathered(body)) yield* this.flush();
      // The thread waits once per run of chunks the client keeps up with, not once per chunk.
      while (!(yield* wait(this.#pump(iterator)))) yield* this.flush();
      finished = true;
    } finally {
      this.#piping = false;
      this.#conn.offClose(stop);
      // Stop the producer when the client went away or writing failed.
      if (!finished) {
        stop();
        // Counted as sent, as if it had left before the first chunk: the exchange is aborted.
        if (this.#head !== null && this.#conn.isAlive()) this.#writeHead();
      }
    }
    // A pump that saw the end wrote it with the last chunk.
    if (!this.#ended) this.#finish();
    yield* this.#settle();
  }

  /**
   * Writes chunks as the producer settles them, outside the thread's turns,
   * waiting (in the write's reaction) while the connection is above its
   * high-water mark; `true` once the body is done, `false` after `PUMP_RUN`
   * chunks, so that a producer and a sink that never wait still let the host
   * loop run. A chunk waits for the producer's next step while it settles
   * within {@linkcode STEP_WAIT_MICROTASKS}, so that the body's end leaves
   * with its last chunk (a write less per response, as node:http's
   * `end(chunk)`); the producer is thus asked for one chunk ahead of the
   * client, never more.
   */
  async #pump(iterator: AsyncIterator<Uint8Array>): Promise<boolean> {
    const conn = this.#conn;
    let step = this.#carried;
    let pending: Promise<IteratorResult<Uint8Array>> | null = null;
    this.#carried = null;
    for (let run = 0;; run++) {
      if (step === null) {
        let next = pending;
        pending = null;
        if (next === null) {
          next = iterator.next();
          if (this.#head !== null) await this.#headAfter(next);
        }
        step = await next;
      }
      if (step.done || !this.#piping) return true;
      // The step after a run is taken before handing back: a body that ends there (16 chunks
      // of 16) ends in this run, not in a wait, a turn and a pump more.
      if (run === PUMP_RUN) {
        this.#carried = step;
        return false;
      }
      const chunk = step.value;
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError("a response stream must yield Uint8Array chunks");
      }
      // Held while the producer's next step comes: written now, it would leave in a microtask.
      const next = this.#lookAhead(iterator.next());
      for (let left = STEP_WAIT_MICROTASKS; this.#ahead === null && left > 0; left--) {
        await undefined;
      }
      step = this.#ahead as IteratorResult<Uint8Array> | null;
      if (!this.#piping) return true;
      this.write(chunk);
      // The body's end goes with its last chunk.
      if (step !== null && step.done) this.#finish();
      conn[FLUSH_NOW]();
      if (step !== null && step.done) return true;
      if (step === null) pending = next;
      // Behind the client: the write is waited for here, in its reaction, not by the thread
      // (a turn to take the pump's result and one parked in `flush()`, per chunk), under the
      // write timeout as `flush()` waits. `flushed()` throws the deadline, a failure or a close.
      if (!conn.flushed()) {
        const timeout = this.#writeTimeoutMs;
        if (timeout !== undefined) conn.setDeadline(timeout, "write timeout");
        do {
          await conn[WAIT_OUTPUT]();
          if (!this.#piping) return true;
        } while (!conn.flushed());
        if (timeout !== undefined) conn.clearDeadline();
      }
    }
  }

  /**
   * Watches `next`: `#ahead` is what it settled with, `null` while pending
   * (or failed: awaiting `next` then throws). Every earlier step watched has
   * settled (and been awaited) by now, so none lands here late.
   */
  #lookAhead(
    next: Promise<IteratorResult<Uint8Array>>,
  ): Promise<IteratorResult<Uint8Array>> {
    this.#ahead = null;
    next.then(this.#landAhead, ignore);
    return next;
  }

  /**
   * Holds the head for the first chunk while `next` settles within
   * {@linkcode STEP_WAIT_MICROTASKS}, so that both leave in one write (on
   * Bun, a `sendto` less per response); else sends it alone now: a producer
   * that waits (an event stream) does not keep its client from the head.
   */
  async #headAfter(next: Promise<IteratorResult<Uint8Array>>): Promise<void> {
    this.#lookAhead(next);
    for (let left = STEP_WAIT_MICROTASKS; this.#ahead === null && left > 0; left--) {
      await undefined;
    }
    if (this.#ahead !== null || this.#head === null || !this.#piping) return;
    this.#writeHead();
    this.#conn[FLUSH_NOW]();
  }

  /**
   * Writes the chunks `body` has at hand (see internal/gathered.ts), to leave
   * with the head as one gathered write; whether there were any. Not held
   * here once written: a stream that then waits long must not keep them.
   */
  #writeGathered(body: object): boolean {
    const gathered = takeGathered(body);
    if (gathered === null || gathered.length === 0) return false;
    for (const chunk of gathered) this.write(chunk);
    return true;
  }
}

/** Chunks a pump writes before its thread takes a turn (see `ResponseWriter#pump`). */
const PUMP_RUN = 16;
/**
 * Microtasks a streamed body's next step gets to come before what waits for
 * it (the head, the chunk before) leaves alone: an async generator's `yield`
 * and a `ReadableStream`'s read settle in 2, its async iterator's in 3-4
 * (Deno, Bun, Node).
 */
const STEP_WAIT_MICROTASKS = 8;

function ignore(): void {}

function streamIterator(stream: ReadableStream<Uint8Array>): AsyncIterator<Uint8Array> {
  const reader = stream.getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    return: async () => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}

/**
 * Writes the head of `response` and returns a {@linkcode ResponseWriter} for
 * its body. `contentLength` is the body size if known (`null`: chunked for
 * HTTP/1.1, close-delimited for HTTP/1.0).
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { respondOn, waitForHeaders } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     yield* waitForHeaders(conn);
 *     const writer = respondOn(conn, { status: 200 }, { method: "GET", version: "1.1", keepAlive: false }, 2);
 *     writer.write(new TextEncoder().encode("ok"));
 *     yield* writer.end();
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * console.log((await client.readText()).includes("content-length: 2")); // true
 * await hussar.close();
 * ```
 */
export function respondOn(
  conn: Connection,
  response: Omit<HttpResponse, "body">,
  request: RequestContext = DEFAULT_CONTEXT,
  contentLength: number | null = null,
): ResponseWriter {
  return writerOn(conn, response, request, contentLength, false);
}

/** {@linkcode respondOn}; `holdHead`: the writer holds the head until the body's first chunk. */
function writerOn(
  conn: Connection,
  response: Omit<HttpResponse, "body">,
  request: RequestContext,
  contentLength: number | null,
  holdHead: boolean,
): ResponseWriter {
  const head = writeResponseHead(conn, response, request, contentLength, null, holdHead);
  const nullBody = isNullBodyStatus(response.status);
  // HTTP/1.0 cannot read chunked encoding: an unknown length is delimited by the close.
  const chunked = contentLength === null && request.version !== "1.0" && !nullBody;
  const bodyless = isBodyless(response, request);
  return new ResponseWriter(
    conn,
    chunked && !bodyless,
    bodyless,
    contentLength,
    request.writeTimeoutMs,
    0,
    head,
  );
}

/** Whether the response has no body to send: to a HEAD, or by its status. */
function isBodyless(response: Omit<HttpResponse, "body">, request: RequestContext): boolean {
  return request.method === "HEAD" || isNullBodyStatus(response.status);
}

/**
 * Writes the head of `response` on `conn`, with `body` if it is given whole;
 * with `hold`, returns the head's bytes instead of writing them.
 */
function writeResponseHead(
  conn: Connection,
  response: Omit<HttpResponse, "body">,
  request: RequestContext,
  contentLength: number | null,
  body: Uint8Array | string | null,
  hold = false,
): Uint8Array | null {
  // An HTTP/1.0 client cannot read chunked encoding: an unknown length ends with the connection.
  const closeDelimited = contentLength === null && request.version === "1.0" &&
    !isNullBodyStatus(response.status);
  const keepAlive = request.keepAlive && !closeDelimited;
  if (!keepAlive) conn.keepAlive = false;
  let headers = toPairs(response.headers);
  if (keepAlive && request.version === "1.0") {
    headers = [...pairsOf(headers), ["connection", "keep-alive"]];
  }
  const head = HEAD;
  head.status = response.status;
  head.statusText = response.statusText;
  head.headers = headers;
  const options = OPTIONS;
  options.contentLength = contentLength;
  options.close = !keepAlive;
  options.keepAliveTimeout = request.keepAliveTimeout;
  options.version = request.version;
  options.requestMethod = request.method;
  // A large body leaves as it is, after its head: copying it next to the head (a new buffer
  // of its size) costs more than the write of its own it may take (Node gathers both).
  const alone = body !== null && typeof body !== "string" && body.length >= WRITE_ALONE_BYTES;
  // These bytes go to the transport only: slab pieces (on V8), or, to a transport that only
  // reads them, the last response's again.
  const shared = conn[SHARED_OUTPUT];
  const bytes = body === null || alone
    ? headBytes(head, options, true, shared)
    : wholeResponseBytes(head, body, options, true, shared);
  head.headers = undefined; // nothing of the response is kept
  if (hold) return bytes;
  conn.write(bytes);
  if (alone && !isBodyless(response, request)) conn.write(body as Uint8Array);
  return null;
}

/**
 * What `writeResponseHead` hands the serialiser, reused by every response:
 * the serialiser reads them before it may run other code (a header value's
 * `toString`), which may serialise another response with them.
 */
const HEAD: ResponseHead = { status: 200, statusText: undefined, headers: undefined };
const OPTIONS: SerializeResponseOptions = {
  contentLength: null,
  close: false,
  keepAliveTimeout: undefined,
  version: "1.1",
  requestMethod: "GET",
};

/** The headers as the serializer reads them: a `Headers` as pairs, anything else as it is. */
function toPairs(headers: HttpResponse["headers"]): ResponseHead["headers"] {
  // Pairs first: reading the global `Headers` is a getter call on Deno.
  if (headers === undefined || Array.isArray(headers) || !(headers instanceof Headers)) {
    return headers;
  }
  // forEach spares the iterator objects (several times cheaper on Deno).
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}

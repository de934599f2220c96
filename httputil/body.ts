import type { Connection } from "../core/connection.ts";
import type { AwayCall } from "../scheduler/mod.ts";
import { concatBytes } from "../internal/bytes.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { HttpError } from "./errors.ts";
import { HeaderList } from "./headers.ts";
import type { BodyFraming } from "./parse.ts";
import { continueResponse } from "./serialize.ts";
import { PREFETCH } from "./_body_slots.ts";
import { ON_INPUT, PARK_INPUT, UNPARK, WAIT_INPUT } from "../internal/connection_slots.ts";

/** Options for reading a request body. */
export interface BodyOptions {
  /** Most body bytes accepted (413 beyond it; checked before reading when Content-Length says so). Default 64 MiB. */
  maxBodyBytes?: number;
  /** Send `100 Continue` before the first read (the request had `Expect: 100-continue`). */
  expectContinue?: boolean;
  /** Milliseconds the peer may stay silent while the body is read (408 after it). Default: no deadline. */
  idleTimeoutMs?: number;
}

/**
 * Default body size limit: 64 MiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_BODY_BYTES } from "@hussar/core/httputil";
 * console.log(DEFAULT_MAX_BODY_BYTES / 1024 / 1024); // 64
 * ```
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The pending pieces of a body that has none yet: shared, never added to. */
const NO_PIECES: Uint8Array[] = [];

/**
 * Reads one request body from a connection, on demand: nothing is read from
 * the socket until the body is asked for, so a handler that never reads a
 * large upload costs no memory. Enforces the body size limit as it reads,
 * answers `Expect: 100-continue` on the first read, and puts back any bytes
 * past the body (the next pipelined request).
 *
 * Use `yield* read()` / `yield* readAll()` in a thread, `readAsync()` /
 * `stream()` from async code.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { BodyReader, waitForHeaders } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     const head = (yield* waitForHeaders(conn))!;
 *     const body = new BodyReader(conn, head.framing);
 *     const text = new TextDecoder().decode(yield* body.readAll());
 *     conn.write(new TextEncoder().encode(text.toUpperCase()));
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
 * console.log(await client.readText()); // HELLO
 * await hussar.close();
 * ```
 */
export class BodyReader {
  readonly #conn: Connection;
  readonly #framing: BodyFraming;
  readonly #maxBodyBytes: number;
  readonly #idleTimeoutMs: number | null;
  #expectContinue: boolean;
  #remaining: number;
  #decoder: ChunkedDecoder | null = null;
  /** Decoded pieces not yet returned; the shared empty list until there is one (most bodies have none). */
  #pending: Uint8Array[] = NO_PIECES;
  #done: boolean;
  #bytesRead = 0;
  #started = false;
  #streamed = false;
  /** A read is under way (its chunk may be on its way to `#consume`). */
  #reading = false;
  #failure: unknown = null;

  /** Creates a reader for a body framed as `framing` on `conn`. */
  constructor(conn: Connection, framing: BodyFraming, options: BodyOptions = {}) {
    this.#conn = conn;
    this.#framing = framing;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? null;
    this.#expectContinue = options.expectContinue ?? false;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#done = framing.kind === "none" || (framing.kind === "length" && framing.length === 0);
    if (framing.kind === "length" && framing.length > this.#maxBodyBytes) {
      // Refuse before reading a byte: the declared size alone is too large.
      throw new HttpError(
        413,
        `body of ${framing.length} bytes exceeds the limit of ${this.#maxBodyBytes}`,
      );
    }
    if (framing.kind === "chunked") {
      this.#decoder = new ChunkedDecoder({ maxBodyBytes: this.#maxBodyBytes });
    }
  }

  /** Whether the whole body has been read. */
  get finished(): boolean {
    return this.#done && this.#pending.length === 0;
  }

  /** Whether any read was attempted (the handler showed interest in the body). */
  get started(): boolean {
    return this.#started;
  }

  /** Body bytes returned so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** The chunked trailers, once the body is finished (empty otherwise). */
  get trailers(): HeaderList {
    return this.#decoder?.done ? this.#decoder.trailers : new HeaderList();
  }

  /** The next piece of the body, or `null` at its end. Parks the thread while waiting for bytes. */
  *read(): AwayCall<Uint8Array | null> {
    for (;;) {
      const piece = this.#readNow();
      if (piece !== undefined) return piece;
      this.#armIdle();
      // Parked in this frame, not in `conn.read()`'s: one generator fewer per chunk waited for.
      this.#conn[PARK_INPUT](true);
      this.#reading = true;
      try {
        yield;
      } catch (error) {
        throw (this.#failure = error);
      } finally {
        this.#reading = false;
        this.#conn[UNPARK]();
      }
    }
  }

  /** Promise form of {@linkcode BodyReader.read}. */
  readAsync(): Promise<Uint8Array | null> {
    try {
      const piece = this.#readNow();
      if (piece !== undefined) return Promise.resolve(piece);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#wait();
  }

  /** Waits for input, then takes a piece (or waits again): one Promise per wait, no async frames. */
  #wait(): Promise<Uint8Array | null> {
    this.#armIdle();
    this.#reading = true;
    return this.#conn[WAIT_INPUT]().then(() => {
      this.#reading = false;
      const piece = this.#readNow();
      return piece === undefined ? this.#wait() : piece;
    });
  }

  /** The peer may stay silent this long from now while the reader waits. */
  #armIdle(): void {
    if (this.#idleTimeoutMs !== null) this.#conn.setDeadline(this.#idleTimeoutMs, "body timeout");
  }

  /**
   * The next piece if one is at hand (decoding the input the connection
   * holds), `null` at the end, `undefined` when input must be waited for.
   * Never waits; throws (and keeps) a failure.
   */
  #readNow(): Uint8Array | null | undefined {
    if (this.#failure !== null) throw this.#failure;
    try {
      for (;;) {
        const piece = this.#next();
        if (piece !== undefined) return piece;
        const chunk = this.#conn.readNow();
        if (chunk === undefined) return undefined;
        this.#consume(chunk);
      }
    } catch (error) {
      throw (this.#failure = error);
    }
  }

  /**
   * The whole body in one buffer, if it has a `Content-Length` of at most
   * `maxBytes` and every byte of it is already received (a small upload
   * that came with its head): then it counts as read, and no
   * `100 Continue` is sent (RFC 9110 §10.1.1: the content is already here).
   * Otherwise `undefined`, with nothing consumed. Never waits. The buffer
   * may be a view of the connection's input.
   */
  takeReceived(maxBytes: number): Uint8Array | undefined {
    const remaining = this.#remaining;
    if (
      this.#started || this.#failure !== null || this.#framing.kind !== "length" ||
      remaining > maxBytes || this.#conn.bufferedInput < remaining
    ) return undefined;
    this.#started = true;
    this.#expectContinue = false;
    try {
      while (!this.#done) this.#consume(this.#conn.readNow() ?? null);
    } catch (error) {
      throw (this.#failure = error);
    }
    const pieces = this.#pending;
    this.#pending = NO_PIECES;
    this.#bytesRead += remaining;
    return concatBytes(pieces, remaining);
  }

  /**
   * Decodes the body bytes already received, without waiting for more and
   * without counting as a read: they stay for the reader, and a framing
   * error among them is known now ({@linkcode BodyReader.failure}), before a
   * response is written. Does nothing while a read is under way.
   */
  // deno-lint-ignore require-yield
  *prefetch(): AwayCall<void> {
    this[PREFETCH]();
  }

  /** @internal {@linkcode BodyReader.prefetch} without a generator: it never waits. */
  [PREFETCH](): void {
    if (this.#reading || this.#failure !== null) return;
    try {
      // Input is buffered: it is taken at once.
      while (!this.#done && this.#conn.bufferedInput > 0) {
        this.#consume(this.#conn.readNow() ?? null);
      }
    } catch (error) {
      this.#failure = error;
    }
  }

  /**
   * Whether the unread rest of the body may still be discarded within
   * `limit` bytes to keep the connection (see {@linkcode BodyReader.discard}):
   * `false` once it failed, when a declared length exceeds it, or when the
   * client waits for a `100 Continue` it was never sent.
   */
  drainable(limit: number): boolean {
    if (this.finished) return true;
    if (this.#failure !== null || this.#expectContinue) return false;
    return this.#framing.kind !== "length" || this.#remaining <= limit;
  }

  /**
   * Why reading the body failed (a malformed chunk or a limit: an
   * `HttpError`; a body deadline; the client leaving), or `null`. Once set,
   * every read throws it again: the framing is lost, so the connection can
   * carry no further request.
   */
  get failure(): unknown {
    return this.#failure;
  }

  /** The whole (rest of the) body in one buffer. */
  *readAll(): AwayCall<Uint8Array> {
    const pieces: Uint8Array[] = [];
    for (let piece = yield* this.read(); piece !== null; piece = yield* this.read()) {
      pieces.push(piece);
    }
    return concatBytes(pieces);
  }

  /** The whole (rest of the) body as UTF-8 text. */
  *text(): AwayCall<string> {
    return new TextDecoder().decode(yield* this.readAll());
  }

  /**
   * The body as a pull-based `ReadableStream`: the socket is read only as the
   * stream is pulled. Can be taken once.
   */
  stream(): ReadableStream<Uint8Array> {
    if (this.#streamed) throw new TypeError("the body stream was already taken");
    this.#streamed = true;
    let controller: ReadableStreamDefaultController<Uint8Array>;
    /** A wait for input is in flight: a pull meanwhile (reads queued behind it) adds none. */
    let waiting = false;
    let cancelled = false;
    // A pull returns nothing and the wait's one reaction, made once, enqueues: a pull answered
    // with a Promise costs the stream a Promise of its own and a reaction more per chunk.
    const take = (): void => {
      let piece: Uint8Array | null | undefined;
      try {
        piece = this.#readNow();
      } catch (error) {
        controller.error(error);
        return;
      }
      if (piece === null) controller.close();
      else if (piece !== undefined) controller.enqueue(piece);
      else {
        waiting = true;
        this.#armIdle();
        this.#reading = true;
        this.#conn[ON_INPUT](wake);
      }
    };
    // Called from inside the connection's news: the rest runs in a microtask, as a reaction would.
    const wake = (): void => queueMicrotask(woke);
    const woke = (): void => {
      waiting = false;
      this.#reading = false;
      // Cancelled meanwhile: the stream takes no more chunks (enqueue would throw).
      if (!cancelled) take();
    };
    return new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      // Called only while a read waits (high-water mark 0): the reader's demand, no read-ahead.
      pull: () => {
        if (!waiting) take();
      },
      cancel: () => {
        cancelled = true;
      },
    }, { highWaterMark: 0 });
  }

  /**
   * Reads and discards the rest of the body if it is at most `limit` bytes
   * away; returns whether the body is now finished. Used before the next
   * request on a kept-alive connection.
   */
  *discard(limit: number): AwayCall<boolean> {
    if (this.#expectContinue) return this.finished; // the client never sent it: nothing to drain
    if (this.#framing.kind === "length" && this.#remaining > limit) return false;
    let discarded = 0;
    while (!this.finished) {
      const piece = yield* this.read();
      if (piece === null) break;
      discarded += piece.length;
      if (discarded > limit) return false;
    }
    return this.finished;
  }

  /** Returns a piece if one is ready, `null` at the end, `undefined` when input is needed. */
  #next(): Uint8Array | null | undefined {
    if (!this.#started) {
      this.#started = true;
      if (this.#expectContinue && !this.#done) this.#conn.write(continueResponse());
    }
    this.#expectContinue = false;
    const pending = this.#pending;
    if (pending.length > 0) {
      // The last piece leaves the list for the shared empty one: a list shifted empty and
      // pushed onto again grows to 17 slots, a 152-byte store per chunk of an upload.
      let piece: Uint8Array;
      if (pending.length === 1) {
        piece = pending[0];
        this.#pending = NO_PIECES;
      } else {
        piece = pending.shift()!;
      }
      this.#bytesRead += piece.length;
      return piece;
    }
    return this.#done ? null : undefined;
  }

  /** Adds a decoded piece; the list is made with its first piece (see `#next`). */
  #add(piece: Uint8Array): void {
    if (this.#pending === NO_PIECES) this.#pending = [piece];
    else this.#pending.push(piece);
  }

  #consume(chunk: Uint8Array | null): void {
    if (chunk === null) throw new HttpError(400, "connection ended before the body was complete");
    if (this.#decoder === null) {
      const take = Math.min(this.#remaining, chunk.length);
      // The chunk itself when all of it is body (most of an upload's): no view made per chunk.
      this.#add(take === chunk.length ? chunk : chunk.subarray(0, take));
      this.#remaining -= take;
      if (take < chunk.length) this.#conn.unread(chunk.subarray(take));
      if (this.#remaining === 0) this.#done = true;
      return;
    }
    const result = this.#decoder.decode(chunk);
    for (const piece of result.data) if (piece.length > 0) this.#add(piece);
    if (result.done) {
      this.#done = true;
      if (result.consumed < chunk.length) this.#conn.unread(chunk.subarray(result.consumed));
    }
  }
}

/**
 * Reads a whole body of exactly `length` bytes (a Content-Length body).
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { readFixedBody, waitForHeaders } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     yield* waitForHeaders(conn);
 *     const body = yield* readFixedBody(conn, 3);
 *     conn.write(body);
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
 * console.log(await client.readText()); // abc
 * await hussar.close();
 * ```
 */
export function readFixedBody(
  conn: Connection,
  length: number,
  options: BodyOptions = {},
): AwayCall<Uint8Array> {
  return new BodyReader(conn, { kind: "length", length }, options).readAll();
}

/**
 * Reads a whole chunked body: all chunks (extensions ignored) and the trailers.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { readChunkedBody, waitForHeaders } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     yield* waitForHeaders(conn);
 *     const { body, trailers } = yield* readChunkedBody(conn);
 *     conn.write(body);
 *     conn.write(new TextEncoder().encode(` ${trailers.get("x-sum")}`));
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
 * client.write("3;ext=1\r\nabc\r\n0\r\nX-Sum: 3\r\n\r\n");
 * console.log(await client.readText()); // abc 3
 * await hussar.close();
 * ```
 */
export function* readChunkedBody(
  conn: Connection,
  options: BodyOptions = {},
): AwayCall<{ body: Uint8Array; trailers: HeaderList }> {
  const reader = new BodyReader(conn, { kind: "chunked" }, options);
  const body = yield* reader.readAll();
  return { body, trailers: reader.trailers };
}

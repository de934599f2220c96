import type { Connection } from "../core/connection.ts";
import type { AwayCall } from "../scheduler/mod.ts";
import { concatBytes } from "../internal/bytes.ts";
import { type BodyOptions, BodyReader } from "./body.ts";
import { HttpError } from "./errors.ts";
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from "./limits.ts";
import { parseRequestHead, type ParseRequestOptions, type RequestHead } from "./parse.ts";
import { MADE_BODY } from "./_body_slots.ts";

const LF = 0x0a;

/** Options for {@linkcode waitForHeaders}. */
export interface WaitForHeadersOptions extends ParseRequestOptions {
  /** Size limits of the head (defaults: {@linkcode DEFAULT_PARSE_LIMITS}). */
  limits?: ParseLimits;
  /** Called once, when the first byte of the request arrives (to switch from an idle to a headers deadline). */
  onFirstByte?: () => void;
}

/**
 * Reads a request head from `conn`: parks until the head is complete, puts
 * back the bytes after it, and returns it. Returns `null` when the peer
 * ended the connection before sending any byte of a request (a clean end of
 * a keep-alive connection). Throws {@linkcode HttpError} for a malformed or
 * oversized head, and for a peer that ends mid-head.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { waitForHeaders } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     const head = yield* waitForHeaders(conn);
 *     conn.write(new TextEncoder().encode(`${head?.method} ${head?.target}`));
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.writeSplit("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 3);
 * console.log(await client.readText()); // GET /a
 * await hussar.close();
 * ```
 */
export function* waitForHeaders(
  conn: Connection,
  options: WaitForHeadersOptions = {},
): AwayCall<RequestHead | null> {
  const limits = options.limits ?? DEFAULT_PARSE_LIMITS;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = yield* conn.read();
    if (chunk === null) {
      if (size === 0) return null;
      throw new HttpError(400, "connection ended in the middle of the request head");
    }
    if (size === 0) options.onFirstByte?.();
    chunks.push(chunk);
    size += chunk.length;
    // The parser rescans from the start; only a new line end (or a limit) can
    // change its answer, so skip chunks without one. This bounds the work a
    // client sending one byte at a time can cause.
    if (chunks.length > 1 && chunk.indexOf(LF) === -1 && size <= limits.maxHeadBytes) continue;
    const buffer = concatBytes(chunks, size);
    const head = parseRequestHead(buffer, limits, options);
    if (head !== null) {
      if (head.headLength < buffer.length) conn.unread(buffer.subarray(head.headLength));
      return head;
    }
    chunks.length = 0;
    chunks.push(buffer);
  }
}

/** Options for {@linkcode waitForRequest}. */
export interface WaitForRequestOptions
  extends WaitForHeadersOptions, Omit<BodyOptions, "expectContinue"> {}

/**
 * A request read from a connection: its head, and its body, read lazily.
 *
 * @example
 * ```ts
 * import type { IncomingRequest } from "@hussar/core/httputil";
 * function describe(request: IncomingRequest): string {
 *   return `${request.head.method} ${request.head.target} (${request.head.framing.kind})`;
 * }
 * console.log(typeof describe);
 * ```
 */
export interface IncomingRequest {
  /** The parsed head. */
  readonly head: RequestHead;
  /** The body, read only when asked for. */
  readonly body: BodyReader;
}

/**
 * Reads the next request from `conn`: its head now, its body only when the
 * handler reads it. Returns `null` at a clean end of the connection.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { waitForRequest } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     const request = (yield* waitForRequest(conn))!;
 *     const text = yield* request.body.text();
 *     conn.write(new TextEncoder().encode(`${request.head.method} ${text}`));
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
 * console.log(await client.readText()); // POST hi
 * await hussar.close();
 * ```
 */
export function* waitForRequest(
  conn: Connection,
  options: WaitForRequestOptions = {},
): AwayCall<IncomingRequest | null> {
  const head = yield* waitForHeaders(conn, options);
  if (head === null) return null;
  return new Incoming(conn, head, options);
}

/**
 * @internal {@linkcode waitForRequest} without a generator, for a head that
 * came whole in the next buffered chunk (the common case): the request, or
 * `null` at a clean end of the connection. `undefined` when the head is not
 * all there yet: the chunk is put back, and `waitForRequest` reads on.
 */
export function requestNow(
  conn: Connection,
  options: WaitForRequestOptions = {},
): Incoming | null | undefined {
  const chunk = conn.readNow();
  if (chunk === undefined || chunk === null) return chunk;
  options.onFirstByte?.();
  const head = parseRequestHead(chunk, options.limits ?? DEFAULT_PARSE_LIMITS, options);
  if (head === null) {
    conn.unread(chunk);
    return undefined;
  }
  if (head.headLength < chunk.length) conn.unread(chunk.subarray(head.headLength));
  return new Incoming(conn, head, options);
}

/**
 * @internal An {@linkcode IncomingRequest} as the engine makes it. A request
 * with no body (most of them) gets its reader only if asked for it: the
 * engine itself asks with `[MADE_BODY]`, which makes none. A body is read
 * by a reader made at once, whose size check (413) comes before the app.
 */
export class Incoming implements IncomingRequest {
  readonly head: RequestHead;
  readonly #conn: Connection;
  readonly #options: WaitForRequestOptions;
  #body: BodyReader | null = null;

  constructor(conn: Connection, head: RequestHead, options: WaitForRequestOptions) {
    this.head = head;
    this.#conn = conn;
    this.#options = options;
    if (head.framing.kind !== "none") this.#body = this.#makeBody();
  }

  get body(): BodyReader {
    return this.#body ??= this.#makeBody();
  }

  /** @internal The body's reader if made; `null`: the request has no body, and none was asked for. */
  get [MADE_BODY](): BodyReader | null {
    return this.#body;
  }

  #makeBody(): BodyReader {
    const { head } = this;
    const options = this.#options;
    // The body options are the request's own unless the client expects a 100 (no object per request).
    return new BodyReader(
      this.#conn,
      head.framing,
      head.expect === null && !("expectContinue" in options) ? options : {
        maxBodyBytes: options.maxBodyBytes,
        idleTimeoutMs: options.idleTimeoutMs,
        expectContinue: head.expect === "100-continue",
      },
    );
  }
}

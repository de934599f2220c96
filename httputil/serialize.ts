/**
 * Serialising HTTP/1.1 messages to bytes.
 *
 * @module
 */
import { httpDate } from "./date.ts";
import { InvalidHeaderError } from "./errors.ts";
import { isToken } from "./headers.ts";
import { isShortAscii, TCHAR } from "./_chars.ts";
import { code2status, isNullBodyStatus } from "./status.ts";

/**
 * The head of a response: status, optional reason phrase, header fields.
 *
 * @example
 * ```ts
 * import type { ResponseHead } from "@hussar/core/httputil";
 * const head: ResponseHead = { status: 404, headers: [["content-type", "text/plain"]] };
 * console.log(head.status);
 * ```
 */
export interface ResponseHead {
  /** Status code, 100-599. */
  status: number;
  /** Reason phrase (default: the registered one, or empty). */
  statusText?: string;
  /** Header fields: pairs, a `HeaderList`, a Web `Headers`, or a record. */
  headers?: Iterable<readonly [string, string]> | Record<string, string>;
}

/** Options for {@linkcode serializeResponseHead}. */
export interface SerializeResponseOptions {
  /** Body size when known; `null` (default) for unknown: chunked on HTTP/1.1, close-delimited on HTTP/1.0. */
  contentLength?: number | null;
  /** Add a `Date` header unless one is given (default `true`). */
  date?: boolean;
  /** Add `Connection: close` (default `false`). */
  close?: boolean;
  /**
   * Unless `close`, add `Keep-Alive: timeout=N` to a final (2xx-5xx)
   * response, with these whole seconds: how long the server keeps the idle
   * connection at least (default: no header).
   */
  keepAliveTimeout?: number;
  /** The request's version: an HTTP/1.0 client gets no chunked encoding (default "1.1"). */
  version?: "1.0" | "1.1";
  /** The request's method: a HEAD response announces no chunked encoding (default "GET"). */
  requestMethod?: string;
}

const encoder = new TextEncoder();
const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const STATUS_LINES = new Map<number, Uint8Array>();
const CONTENT_LENGTH = ascii("content-length: ");
const CHUNKED = ascii("transfer-encoding: chunked\r\n");
const CLOSE = ascii("connection: close\r\n");
const KEEP_ALIVE_OPTION = ascii("connection: keep-alive\r\n");

/**
 * A head is written into this buffer, reused by every response, then copied
 * out at its exact size: one allocation per head, no string built for it.
 */
let scratch: Uint8Array = new Uint8Array(1024);
let at = 0;
/** The buffer is being written (a header value's `toString` may serialise too). */
let busy = false;
/** A buffer grown past this by a huge head is dropped after it, not kept. */
const KEPT_SCRATCH = 16 * 1024;

function room(n: number): void {
  if (at + n <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < at + n) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(scratch.subarray(0, at));
  scratch = grown;
}

function putBytes(bytes: Uint8Array): void {
  room(bytes.length);
  scratch.set(bytes, at);
  at += bytes.length;
}

/** Copies chars known to be latin1 (checked, or ASCII by construction), one byte each. */
function putLatin1(text: string): void {
  const n = text.length;
  room(n);
  const out = scratch;
  let i = at;
  for (let j = 0; j < n; j++) out[i++] = text.charCodeAt(j);
  at = i;
}

/** A non-negative integer in decimal, then CRLF. */
function putNumberLine(value: number): void {
  if (!Number.isSafeInteger(value) || value >= 1e15) return putLatin1(`${value}\r\n`);
  room(18);
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let i = at + digits;
  at = i + 2;
  do {
    scratch[--i] = 0x30 + value % 10;
    value = Math.floor(value / 10);
  } while (value > 0);
  scratch[at - 2] = 0x0d;
  scratch[at - 1] = 0x0a;
}

/** `name: value\r\n`, checking the name is a token and the value as {@linkcode checkValue} does. */
function putField(name: string, value: string): void {
  const n = name.length;
  if (n === 0) throw new InvalidHeaderError(name);
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  room(n + end - start + 4);
  const out = scratch;
  let i = at;
  for (let j = 0; j < n; j++) {
    const c = name.charCodeAt(j);
    if (c > 0x7f || TCHAR[c] === 0) throw new InvalidHeaderError(name);
    out[i++] = c;
  }
  out[i++] = 0x3a; // ": "
  out[i++] = 0x20;
  for (let j = start; j < end; j++) {
    const c = value.charCodeAt(j);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      throw new InvalidHeaderError(name, value);
    }
    out[i++] = c;
  }
  out[i++] = 0x0d;
  out[i++] = 0x0a;
  at = i;
}

function putStatusLine(status: number, statusText: string | undefined): void {
  if (statusText === undefined) {
    let line = STATUS_LINES.get(status);
    if (line === undefined) {
      line = ascii(`HTTP/1.1 ${status} ${code2status(status)}\r\n`);
      STATUS_LINES.set(status, line);
    }
    return putBytes(line);
  }
  for (let i = 0; i < statusText.length; i++) {
    const c = statusText.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      throw new TypeError(
        `invalid reason phrase ${JSON.stringify(statusText)}: control characters are not allowed`,
      );
    }
  }
  code2status(status); // validates the code
  putLatin1(`HTTP/1.1 ${status} ${statusText}\r\n`);
}

let dateText = "";
let dateLine: Uint8Array = new Uint8Array(0);

/** `date: ...\r\n`, as bytes rebuilt once a second (RFC 9110 §6.6.1). */
function putDate(): void {
  const text = httpDate();
  if (text !== dateText) {
    dateText = text;
    dateLine = ascii(`date: ${text}\r\n`);
  }
  putBytes(dateLine);
}

let keepAliveSeconds = -1;
let keepAliveLine: Uint8Array = new Uint8Array(0);

function putKeepAlive(seconds: number): void {
  if (seconds !== keepAliveSeconds) {
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new RangeError(`keepAliveTimeout must be whole seconds, got ${seconds}`);
    }
    keepAliveLine = ascii(`keep-alive: timeout=${seconds}\r\n`);
    keepAliveSeconds = seconds;
  }
  putBytes(keepAliveLine);
}

/** Checks a value the way RFC 9110 §5.5 allows: no CR, LF, NUL or other controls but HTAB; latin1 only. */
function checkValue(name: string, value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      throw new InvalidHeaderError(name, value);
    }
  }
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

function pairsOf(headers: ResponseHead["headers"]): Iterable<readonly [string, string]> {
  if (headers === undefined) return [];
  if (Symbol.iterator in headers) return headers as Iterable<readonly [string, string]>;
  return Object.entries(headers as Record<string, string>);
}

/**
 * Encodes latin1 text (every char checked to be at most 0xff) into one new
 * buffer.
 */
function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * Output buffers of at most `SLAB_PIECE` bytes are cut from a shared slab, as
 * Node's `Buffer` pool does: a buffer of its own per head would cost an
 * allocation outside the JavaScript heap each time (most of a small
 * response's cost on Deno and Node). A slab lives while any piece of it is
 * unwritten; pieces are never reused.
 */
const SLAB = 4096;
const SLAB_PIECE = 1024;
let slab = new ArrayBuffer(SLAB);
let slabAt = 0;

/** A new buffer of `size` bytes for the transport to keep. */
function output(size: number): Uint8Array {
  if (size > SLAB_PIECE) return new Uint8Array(size);
  if (slabAt + size > SLAB) {
    slab = new ArrayBuffer(SLAB);
    slabAt = 0;
  }
  // A view made by the constructor: `subarray` looks up a species constructor first.
  const piece = new Uint8Array(slab, slabAt, size);
  slabAt += size;
  return piece;
}

/**
 * Writes the head into the shared buffer and returns it
 * followed by `tail` (bytes, or an ASCII string: see `isShortAscii`), as one
 * new buffer. A nested call (from a header value's `toString`) gets a buffer
 * of its own.
 */
function produce(
  head: ResponseHead,
  options: Omit<SerializeResponseOptions, "contentLength">,
  contentLength: number | null,
  tail: Uint8Array | string | null,
): Uint8Array {
  const nested = busy;
  const outer = scratch;
  const outerAt = at;
  if (nested) scratch = new Uint8Array(1024);
  busy = true;
  at = 0;
  try {
    writeHead(head, options, contentLength);
    if (typeof tail === "string") putLatin1(tail);
    const size = at;
    const out = output(tail === null || typeof tail === "string" ? size : size + tail.length);
    out.set(size === scratch.length ? scratch : new Uint8Array(scratch.buffer, 0, size));
    if (tail !== null && typeof tail !== "string") out.set(tail, size);
    return out;
  } finally {
    if (nested) {
      scratch = outer;
      at = outerAt;
    } else {
      busy = false;
      if (scratch.length > KEPT_SCRATCH) scratch = new Uint8Array(1024);
    }
  }
}

/**
 * Serialises a response head. The serialiser owns framing: it writes
 * `Content-Length` when the size is known, `Transfer-Encoding: chunked`
 * when not (HTTP/1.1, non-HEAD), and neither for 1xx/204/304. A given
 * `Content-Length` must match the known size (else `TypeError`) and is
 * written once, except in answer to HEAD, where it is passed through (the
 * size a GET would get); a given `Transfer-Encoding` is dropped. Every name and value
 * is validated before anything is produced: a bad one throws
 * {@linkcode InvalidHeaderError}.
 *
 * @example
 * ```ts
 * import { serializeResponseHead } from "@hussar/core/httputil";
 * const bytes = serializeResponseHead({ status: 200, headers: { "content-type": "text/plain" } }, {
 *   contentLength: 5,
 *   date: false,
 * });
 * console.log(new TextDecoder().decode(bytes));
 * // HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\n
 * ```
 */
export function serializeResponseHead(
  head: ResponseHead,
  options: SerializeResponseOptions = {},
): Uint8Array {
  return produce(head, options, options.contentLength ?? null, null);
}

/** Writes the head, up to and including the empty line, into the shared buffer. */
function writeHead(
  head: ResponseHead,
  options: Omit<SerializeResponseOptions, "contentLength">,
  contentLength: number | null,
): void {
  const status = head.status;
  const nullBody = isNullBodyStatus(status);
  // A HEAD response may announce the size a GET would get (RFC 9110 §9.3.2): the handler's value.
  const answersHead = options.requestMethod === "HEAD";
  let headLength: string | null = null;
  putStatusLine(status, head.statusText);
  let hasDate = false;
  for (const [name, given] of pairsOf(head.headers)) {
    const value = typeof given === "string" ? given : String(given);
    // Only these lengths can name a field the serialiser decides itself.
    const n = name.length;
    if (n !== 4 && n !== 10 && n !== 14 && n !== 17) {
      putField(name, value);
      continue;
    }
    if (!isToken(name)) throw new InvalidHeaderError(name);
    const checked = checkValue(name, value);
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      if (answersHead && !nullBody) {
        if (!/^\d+$/.test(checked)) throw new TypeError(`invalid content-length: ${checked}`);
        headLength = checked;
        continue;
      }
      if (contentLength !== null && checked !== String(contentLength) && !nullBody) {
        throw new TypeError(
          `content-length ${checked} does not match the body's ${contentLength} bytes`,
        );
      }
      continue; // written below from the known size
    }
    if (lower === "connection" && status === 101) {
      // A protocol switch names itself in Connection (RFC 9110 §7.8).
      putField(name, checked);
      continue;
    }
    if (lower === "transfer-encoding" || lower === "connection" || lower === "keep-alive") {
      // Hop-by-hop framing is ours to decide.
      if (lower === "connection" && /(^|,)\s*keep-alive\s*(,|$)/i.test(checked) && !options.close) {
        putBytes(KEEP_ALIVE_OPTION);
      }
      continue;
    }
    if (lower === "date") hasDate = true;
    putField(name, checked);
  }
  if (!hasDate && options.date !== false) putDate();
  if (!nullBody && answersHead) {
    const length = headLength ??
      (contentLength !== null && contentLength > 0 ? contentLength : null);
    if (length !== null) {
      putBytes(CONTENT_LENGTH);
      putLatin1(`${length}\r\n`);
    }
  } else if (!nullBody) {
    if (contentLength !== null) {
      putBytes(CONTENT_LENGTH);
      putNumberLine(contentLength);
    } else if (options.version !== "1.0" && options.requestMethod !== "HEAD") {
      putBytes(CHUNKED);
    }
  }
  if (options.close) putBytes(CLOSE);
  else if (options.keepAliveTimeout !== undefined && status >= 200) {
    // Only a final response leaves an HTTP connection idle (a 101 hands it to another protocol).
    putKeepAlive(options.keepAliveTimeout);
  }
  room(2);
  scratch[at++] = 0x0d;
  scratch[at++] = 0x0a;
}

/**
 * Serialises a whole response with a known body (omitted for HEAD and
 * null-body statuses).
 *
 * @example
 * ```ts
 * import { serializeResponse } from "@hussar/core/httputil";
 * const bytes = serializeResponse({ status: 200 }, "hi", { date: false });
 * console.log(new TextDecoder().decode(bytes)); // HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi
 * ```
 */
export function serializeResponse(
  head: ResponseHead,
  body: Uint8Array | string | null = null,
  options: Omit<SerializeResponseOptions, "contentLength"> = {},
): Uint8Array {
  // A short ASCII string is its own bytes: copied into the buffer, never encoded apart.
  const bytes = typeof body === "string"
    ? (isShortAscii(body) ? body : encoder.encode(body))
    : body ?? EMPTY;
  const sent = options.requestMethod !== "HEAD" && !isNullBodyStatus(head.status);
  // Head and body in one buffer: one allocation, one write.
  return produce(head, options, bytes.length, sent && bytes.length > 0 ? bytes : null);
}

const EMPTY = new Uint8Array(0);

/**
 * Serialises a request (for clients and tests), with `Content-Length` when
 * it has a body.
 *
 * @example
 * ```ts
 * import { serializeRequest } from "@hussar/core/httputil";
 * const bytes = serializeRequest({ method: "GET", target: "/", headers: [["host", "a"]] });
 * console.log(new TextDecoder().decode(bytes)); // GET / HTTP/1.1\r\nhost: a\r\n\r\n
 * ```
 */
export function serializeRequest(request: {
  method: string;
  target: string;
  headers?: Iterable<readonly [string, string]>;
  body?: Uint8Array | string | null;
  version?: "1.0" | "1.1";
}): Uint8Array {
  if (!isToken(request.method)) {
    throw new TypeError(`invalid method ${JSON.stringify(request.method)}`);
  }
  if (request.target === "" || [...request.target].some((ch) => ch <= " " || ch >= "\x7f")) {
    throw new TypeError(`invalid request target ${JSON.stringify(request.target)}`);
  }
  const body = typeof request.body === "string"
    ? encoder.encode(request.body)
    : request.body ?? null;
  let text = `${request.method} ${request.target} HTTP/${request.version ?? "1.1"}\r\n`;
  for (const [name, value] of request.headers ?? []) {
    if (!isToken(name)) throw new InvalidHeaderError(name);
    text += `${name}: ${checkValue(name, value)}\r\n`;
  }
  if (body !== null) text += `content-length: ${body.length}\r\n`;
  const headBytes = latin1Bytes(text + "\r\n");
  if (body === null || body.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  return out;
}

/**
 * Frames `data` as one chunk of a chunked body. Empty data is refused: an
 * empty chunk would end the body.
 *
 * @example
 * ```ts
 * import { encodeChunk } from "@hussar/core/httputil";
 * console.log(new TextDecoder().decode(encodeChunk(new TextEncoder().encode("hello")))); // 5\r\nhello\r\n
 * ```
 */
export function encodeChunk(data: Uint8Array): Uint8Array {
  const sizeLine = chunkSizeLine(data.length);
  const out = new Uint8Array(sizeLine.length + data.length + 2);
  out.set(sizeLine, 0);
  out.set(data, sizeLine.length);
  out.set(CRLF, out.length - 2);
  return out;
}

/**
 * The line that opens a chunk of `size` bytes (`size` in hex, then CRLF);
 * the chunk's data and a CRLF follow it. A size of 0 is refused: it would
 * end the body.
 *
 * @example
 * ```ts
 * import { chunkSizeLine } from "@hussar/core/httputil";
 * console.log(JSON.stringify(new TextDecoder().decode(chunkSizeLine(255)))); // "ff\r\n"
 * ```
 */
export function chunkSizeLine(size: number): Uint8Array {
  if (size === 0) {
    throw new RangeError("an empty chunk would end the body; use encodeLastChunk()");
  }
  const hex = size.toString(16);
  const line = output(hex.length + 2);
  for (let i = 0; i < hex.length; i++) line[i] = hex.charCodeAt(i);
  line[hex.length] = 0x0d;
  line[hex.length + 1] = 0x0a;
  return line;
}

/**
 * CRLF, which ends a chunk's data (and every line of HTTP/1.1).
 *
 * @example
 * ```ts
 * import { CRLF } from "@hussar/core/httputil";
 * console.log(CRLF.length); // 2
 * ```
 */
export const CRLF: Uint8Array = new Uint8Array([0x0d, 0x0a]);

/**
 * The last chunk of a chunked body: `0\r\n\r\n`.
 *
 * @example
 * ```ts
 * import { LAST_CHUNK } from "@hussar/core/httputil";
 * console.log(LAST_CHUNK.length); // 5
 * ```
 */
export const LAST_CHUNK: Uint8Array = encoder.encode("0\r\n\r\n");

/**
 * The last chunk, with trailer fields if given (validated like headers).
 *
 * @example
 * ```ts
 * import { encodeLastChunk } from "@hussar/core/httputil";
 * console.log(new TextDecoder().decode(encodeLastChunk([["x-sum", "3"]]))); // 0\r\nx-sum: 3\r\n\r\n
 * ```
 */
export function encodeLastChunk(trailers?: Iterable<readonly [string, string]>): Uint8Array {
  if (trailers === undefined) return LAST_CHUNK;
  let text = "0\r\n";
  for (const [name, value] of trailers) {
    if (!isToken(name)) throw new InvalidHeaderError(name);
    text += `${name}: ${checkValue(name, value)}\r\n`;
  }
  return latin1Bytes(text + "\r\n");
}

const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * The interim `100 Continue` response, sent when a client that asked for it
 * may send its body.
 *
 * @example
 * ```ts
 * import { continueResponse } from "@hussar/core/httputil";
 * console.log(new TextDecoder().decode(continueResponse())); // HTTP/1.1 100 Continue\r\n\r\n
 * ```
 */
export function continueResponse(): Uint8Array {
  return CONTINUE;
}

/**
 * Serialising HTTP/1.1 messages to bytes.
 *
 * @module
 */
import { httpDate } from "./date.ts";
import { InvalidHeaderError } from "./errors.ts";
import { isToken } from "./headers.ts";
import { isShortAscii } from "./_chars.ts";
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
const STATUS_LINES = new Map<number, string>();

function statusLine(status: number, statusText: string | undefined): string {
  if (statusText === undefined) {
    let line = STATUS_LINES.get(status);
    if (line === undefined) {
      line = `HTTP/1.1 ${status} ${code2status(status)}\r\n`;
      STATUS_LINES.set(status, line);
    }
    return line;
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
  return `HTTP/1.1 ${status} ${statusText}\r\n`;
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
 * Encodes latin1 text (every char checked to be at most 0xff), followed by
 * `tail` if given (bytes, or an ASCII string: see `isShortAscii`), into one
 * new buffer.
 */
function latin1Bytes(text: string, tail: Uint8Array | string | null = null): Uint8Array {
  const n = text.length;
  const out = new Uint8Array(n + (tail === null ? 0 : tail.length));
  // Char by char: a head is short, and this costs less than a call to encodeInto.
  for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i);
  if (typeof tail === "string") {
    for (let i = 0; i < tail.length; i++) out[n + i] = tail.charCodeAt(i);
  } else if (tail !== null) out.set(tail, n);
  return out;
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
  return latin1Bytes(headText(head, options, options.contentLength ?? null));
}

/** The head as text, up to and including the empty line. */
function headText(
  head: ResponseHead,
  options: Omit<SerializeResponseOptions, "contentLength">,
  contentLength: number | null,
): string {
  const nullBody = isNullBodyStatus(head.status);
  // A HEAD response may announce the size a GET would get (RFC 9110 §9.3.2): the handler's value.
  const answersHead = options.requestMethod === "HEAD";
  let headLength: string | null = null;
  let text = statusLine(head.status, head.statusText);
  let hasDate = false;
  for (const [name, value] of pairsOf(head.headers)) {
    if (!isToken(name)) throw new InvalidHeaderError(name);
    const checked = checkValue(name, String(value));
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
    if (lower === "connection" && head.status === 101) {
      // A protocol switch names itself in Connection (RFC 9110 §7.8).
      text += `${name}: ${checked}\r\n`;
      continue;
    }
    if (lower === "transfer-encoding" || lower === "connection" || lower === "keep-alive") {
      // Hop-by-hop framing is ours to decide.
      if (lower === "connection" && /(^|,)\s*keep-alive\s*(,|$)/i.test(checked) && !options.close) {
        text += "connection: keep-alive\r\n";
      }
      continue;
    }
    if (lower === "date") hasDate = true;
    text += `${name}: ${checked}\r\n`;
  }
  if (!hasDate && options.date !== false) text += `date: ${httpDate()}\r\n`;
  if (!nullBody && answersHead) {
    const length = headLength ??
      (contentLength !== null && contentLength > 0 ? contentLength : null);
    if (length !== null) text += `content-length: ${length}\r\n`;
  } else if (!nullBody) {
    if (contentLength !== null) text += `content-length: ${contentLength}\r\n`;
    else if (options.version !== "1.0" && options.requestMethod !== "HEAD") {
      text += "transfer-encoding: chunked\r\n";
    }
  }
  if (options.close) text += "connection: close\r\n";
  else if (options.keepAliveTimeout !== undefined && head.status >= 200) {
    // Only a final response leaves an HTTP connection idle (a 101 hands it to another protocol).
    const seconds = options.keepAliveTimeout;
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new RangeError(`keepAliveTimeout must be whole seconds, got ${seconds}`);
    }
    text += `keep-alive: timeout=${seconds}\r\n`;
  }
  return text + "\r\n";
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
    : body ?? new Uint8Array(0);
  const text = headText(head, options, bytes.length);
  const sent = options.requestMethod !== "HEAD" && !isNullBodyStatus(head.status);
  // Head and body in one buffer: one allocation, one write.
  return latin1Bytes(text, sent && bytes.length > 0 ? bytes : null);
}

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
  const line = new Uint8Array(hex.length + 2);
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

/**
 * Serialising HTTP/1.1 messages to bytes.
 *
 * @module
 */
import { InvalidHeaderError } from "./errors.ts";
import { isToken } from "./headers.ts";
import { checkValue, headBytes, outgoingText, wholeResponseBytes } from "./_response_bytes.ts";

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
  return headBytes(head, options, false);
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
  return wholeResponseBytes(
    head,
    typeof body === "string" ? outgoingText(body) : body,
    options,
    false,
  );
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

/**
 * Strict, incremental parsing of an HTTP/1.1 request head (RFC 9112).
 *
 * @module
 */

import { HttpError } from "./errors.ts";
import { HeaderList } from "./headers.ts";
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from "./limits.ts";
import { CR, HTAB, isTokenString, latin1, LF, SP, TARGET, TCHAR } from "./_chars.ts";
import { bareCr, bareLf, fieldSpan, fillTrusted, scanFieldLine } from "./_parse_fields.ts";
import { checkTargetForm, isHostSyntax } from "./_parse_target.ts";
import {
  beginHead,
  endHead,
  headString,
  isCredential,
  lineAt,
  lineKind,
  lineLength,
  lineString,
  lowerOfLast,
  offerLine,
  uncachedHeadString,
} from "./_head_strings.ts";
import { KEEP_HEAD, type KeepingOptions, type KeptHead } from "./_repeated_head.ts";

/**
 * How the body of a request is delimited (RFC 9112 §6.3): `none` when the
 * head has neither Content-Length nor Transfer-Encoding (no body), `length`
 * for a Content-Length (possibly 0), `chunked` for Transfer-Encoding: chunked.
 *
 * @example
 * ```ts
 * import type { BodyFraming } from "@hussar/core/httputil";
 * const framing: BodyFraming = { kind: "length", length: 5 };
 * console.log(framing.kind);
 * ```
 */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" };

/**
 * A parsed request head.
 *
 * @example
 * ```ts
 * import { parseRequestHead, type RequestHead } from "@hussar/core/httputil";
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 * const head: RequestHead | null = parseRequestHead(bytes);
 * console.log(head?.method, head?.target, head?.headLength); // GET / 27
 * ```
 */
export interface RequestHead {
  /** The method token, case preserved (methods are case-sensitive). */
  method: string;
  /** The request-target exactly as sent. */
  target: string;
  /** The protocol version. */
  version: "1.0" | "1.1";
  /** Header fields in order; values are latin1-decoded bytes with OWS trimmed. */
  headers: HeaderList;
  /** Bytes consumed, including skipped leading empty lines and the final CRLFCRLF. */
  headLength: number;
  /**
   * Whether the connection may carry another request after this one: for
   * HTTP/1.1 unless a `close` connection option, for HTTP/1.0 only with a
   * `keep-alive` option (and no `close`).
   */
  keepAlive: boolean;
  /** How the body is delimited. */
  framing: BodyFraming;
  /**
   * `"100-continue"` when the client waits for a 100 before sending the body.
   * Ignored (null) on HTTP/1.0, as RFC 9110 §10.1.1 requires.
   */
  expect: "100-continue" | null;
}

/** Options of {@linkcode parseRequestHead}. */
export interface ParseRequestOptions {
  /**
   * Require a Host in HTTP/1.1 requests (RFC 9112 §3.2). Default `true`. A
   * Host that is present is validated either way.
   */
  requireHost?: boolean;
}

const NO_BODY: BodyFraming = Object.freeze({ kind: "none" });
const CHUNKED: BodyFraming = Object.freeze({ kind: "chunked" });
const COMMA = 0x2c;
const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

/**
 * Parses the head of a request from `buf`, the bytes received so far from the
 * start of the request. Returns `null` while the head is incomplete (call again
 * with more bytes), the head once its final empty line has arrived, and throws
 * {@linkcode HttpError} as soon as the bytes seen cannot start a valid head or
 * exceed a limit (414 for the target, 431 for the head size or field count),
 * without waiting for the rest. Bytes after `headLength` are the body or the
 * next request and are not looked at.
 *
 * The rules are those of RFC 9112 without its leniencies: CRLF only (bare CR
 * or LF: 400), single spaces in the request line, no whitespace before a
 * field's colon, no obs-fold, no control characters in values (obs-text is
 * kept: values are decoded as latin1), HTTP/1.0 and HTTP/1.1 only (other
 * `HTTP/d.d`: 505). Leading empty lines are skipped (RFC 9112 §2.2) and
 * counted against `maxHeadBytes`. The request-target must be origin-form,
 * http(s) absolute-form (no userinfo), asterisk-form with OPTIONS only, or
 * authority-form with CONNECT only; which methods to serve is the caller's
 * business. Host must appear exactly once in HTTP/1.1 and never twice, and be
 * a non-empty `uri-host [":" port]` (else 400).
 *
 * Framing follows RFC 9112 §6: Content-Length is `1*DIGIT` up to
 * `Number.MAX_SAFE_INTEGER`. Several Content-Length values (repeated fields or
 * a list) are accepted only when they are the same string, which RFC 9110
 * §8.6 permits; anything else is a 400, since different values are how
 * requests are smuggled. Transfer-Encoding is a 400 on HTTP/1.0 or with a
 * Content-Length; its last coding must be `chunked`, present once (else 400);
 * any other coding is a 501. Connection options and Expect are read as lists;
 * an expectation other than `100-continue` is a 417.
 *
 * Because the function keeps no state, each call scans `buf` from its start:
 * that is what lets it report an error at the first bad byte however the
 * bytes were split.
 *
 * @example
 * ```ts
 * import { HttpError, parseRequestHead } from "@hussar/core/httputil";
 * const bytes = new TextEncoder().encode(
 *   "POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello",
 * );
 * console.log(parseRequestHead(bytes.subarray(0, 20))); // null: incomplete
 * const head = parseRequestHead(bytes)!;
 * console.log(head.framing, bytes.length - head.headLength); // { kind: "length", length: 5 } 5
 * try {
 *   parseRequestHead(new TextEncoder().encode("GET / HTTP/1.1\nHost: a\n\n"));
 * } catch (e) {
 *   console.log((e as HttpError).status); // 400
 * }
 * ```
 */
export function parseRequestHead(
  buf: Uint8Array,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  options?: ParseRequestOptions,
): RequestHead | null {
  const requireHost = options?.requireHost !== false;
  // The connection's last head again, under the same rules: the same head (`_repeated_head.ts`).
  const kept = (options as KeepingOptions | undefined)?.[KEEP_HEAD];
  const repeated = kept?.match(buf, limits, requireHost);
  if (repeated) return repeated;
  // A function of its own: on a keep-alive connection whose head repeats, this one is hot and
  // the scan is not, so the JIT compiles this small one, not the whole parser (JavaScriptCore
  // spent a third of its compile time on it when it was one).
  return scanRequestHead(buf, limits, requireHost, kept);
}

/** {@linkcode parseRequestHead}'s scan of a head that is not the kept one. */
function scanRequestHead(
  buf: Uint8Array,
  limits: ParseLimits,
  requireHost: boolean,
  kept: KeptHead | undefined,
): RequestHead | null {
  const len = buf.length;
  const maxHead = limits.maxHeadBytes;
  // Scanning stops at the head limit: running out of bytes there means the
  // head is too large, running out below it means "wait for more".
  const lim = len < maxHead ? len : maxHead;
  let p = 0;

  while (p < lim) {
    const b = buf[p];
    if (b === CR) {
      if (p + 1 >= lim) return incomplete(len, maxHead);
      if (buf[p + 1] !== LF) throw bareCr();
      p += 2;
    } else if (b === LF) {
      throw bareLf();
    } else {
      break;
    }
  }

  // method SP
  const methodStart = p;
  while (p < lim && TCHAR[buf[p]] === 1) p++;
  if (p >= lim) return incomplete(len, maxHead);
  if (buf[p] !== SP || p === methodStart) throw new HttpError(400, "invalid method");
  const methodEnd = p++;

  // request-target SP
  const targetStart = p;
  const maxUri = limits.maxUriLength;
  while (p < lim && TARGET[buf[p]] === 1) {
    p++;
    if (p - targetStart > maxUri) throw new HttpError(414, "request-target too long");
  }
  if (p >= lim) return incomplete(len, maxHead);
  const afterTarget = buf[p];
  if (afterTarget !== SP) {
    if (afterTarget === CR || afterTarget === LF) {
      throw new HttpError(400, "missing http version");
    }
    throw new HttpError(400, "invalid request-target");
  }
  if (p === targetStart) throw new HttpError(400, "invalid request line");
  const targetEnd = p++;
  checkTargetForm(buf, methodStart, methodEnd, targetStart, targetEnd);

  // HTTP-version CRLF
  for (let i = 0; i < 5; i++) {
    if (p + i >= lim) return incomplete(len, maxHead);
    if (buf[p + i] !== HTTP_SLASH[i]) throw new HttpError(400, "invalid http version");
  }
  if (p + 5 >= lim) return incomplete(len, maxHead);
  const major = buf[p + 5] - 0x30;
  if (major < 0 || major > 9) throw new HttpError(400, "invalid http version");
  if (p + 6 >= lim) return incomplete(len, maxHead);
  if (buf[p + 6] !== 0x2e) throw new HttpError(400, "invalid http version");
  if (p + 7 >= lim) return incomplete(len, maxHead);
  const minor = buf[p + 7] - 0x30;
  if (minor < 0 || minor > 9) throw new HttpError(400, "invalid http version");
  if (major !== 1 || minor > 1) throw new HttpError(505, "http version not supported");
  const http11 = minor === 1;
  p += 8;
  if (p >= lim) return incomplete(len, maxHead);
  if (buf[p] !== CR) {
    if (buf[p] === LF) throw bareLf();
    throw new HttpError(400, "invalid http version");
  }
  if (p + 1 >= lim) return incomplete(len, maxHead);
  if (buf[p + 1] !== LF) throw bareCr();
  p += 2;

  // field lines, each checked as soon as its CRLF arrives
  const maxCount = limits.maxHeaderCount;
  let count = 0;
  let hostCount = 0;
  let contentLength: string | null = null;
  let teSeen = false;
  let chunked = false;
  let otherCoding = false;
  let close = false;
  let keepAliveOption = false;
  let expectContinue = false;
  for (;;) {
    if (p >= lim) return incomplete(len, maxHead);
    const b = buf[p];
    if (b === CR) {
      if (p + 1 >= lim) return incomplete(len, maxHead);
      if (buf[p + 1] !== LF) throw bareCr();
      p += 2;
      break;
    }
    if (b === LF) throw bareLf();
    if (b === SP || b === HTAB) {
      // RFC 9112 §2.2 and §5.2: whitespace before the first field and obs-fold
      // may be rejected; accepting them is how header smuggling starts.
      throw new HttpError(400, count === 0 ? "whitespace before first header" : "obs-fold");
    }
    if (count === maxCount) throw new HttpError(431, "too many header fields");
    const at = count * SPAN;
    if (at + SPAN > spans.length) {
      const grown = new Int32Array(spans.length * 2);
      grown.set(spans);
      spans = grown;
    }
    count++;
    // A line kept from an earlier head, byte for byte: valid as it was then, its strings known.
    const slot = lineAt(buf, p, lim);
    let kind: number;
    let value: string;
    if (slot >= 0) {
      spans[at] = -1 - slot;
      p += lineLength(slot);
      kind = lineKind(slot);
      if (kind === OTHER) continue;
      if (kind === HOST) {
        if (++hostCount > 1) throw new HttpError(400, "multiple host headers");
        continue;
      }
      value = lineString(slot, 2);
    } else {
      const next = scanFieldLine(buf, p, lim);
      if (next < 0) return incomplete(len, maxHead);
      spans[at] = p;
      spans[at + 1] = fieldSpan.nameEnd;
      spans[at + 2] = fieldSpan.valueStart;
      spans[at + 3] = fieldSpan.valueEnd;
      spans[at + 4] = next;
      kind = framingField(buf, p, fieldSpan.nameEnd);
      spans[at + 5] = kind;
      p = next;
      if (kind === OTHER) continue;
      // Fields that decide framing or routing are checked as soon as their line
      // ends, so a smuggling attempt is refused before the rest arrives.
      if (kind === HOST) {
        if (++hostCount > 1) throw new HttpError(400, "multiple host headers");
        if (!isHostSyntax(buf, fieldSpan.valueStart, fieldSpan.valueEnd, false)) {
          throw new HttpError(400, "invalid host");
        }
        continue;
      }
      value = latin1(buf, fieldSpan.valueStart, fieldSpan.valueEnd);
    }
    switch (kind) {
      case CONTENT_LENGTH:
        if (teSeen) throw new HttpError(400, "content-length with transfer-encoding");
        contentLength = checkContentLength(value, contentLength);
        break;
      case TRANSFER_ENCODING: {
        if (!http11) throw new HttpError(400, "transfer-encoding in http/1.0");
        if (contentLength !== null) {
          throw new HttpError(400, "transfer-encoding with content-length");
        }
        teSeen = true;
        let i = 0;
        while (i <= value.length) {
          i = listElement(value, i);
          const start = element.start;
          const end = element.end;
          if (start === end) continue;
          const coding = value.slice(start, end);
          if (!isTokenString(coding)) throw new HttpError(400, "invalid transfer-encoding");
          // chunked must be the last coding and appear once (RFC 9112 §6.1, §6.3)
          if (chunked) throw new HttpError(400, "chunked is not the final transfer-coding");
          if (coding.toLowerCase() === "chunked") chunked = true;
          else otherCoding = true;
        }
        break;
      }
      case CONNECTION: {
        let i = 0;
        while (i <= value.length) {
          i = listElement(value, i);
          const start = element.start;
          const end = element.end;
          if (start === end) continue;
          const option = value.slice(start, end);
          if (!isTokenString(option)) throw new HttpError(400, "invalid connection header");
          const lowerOption = option.toLowerCase();
          if (lowerOption === "close") close = true;
          else if (lowerOption === "keep-alive") keepAliveOption = true;
        }
        break;
      }
      case EXPECT: {
        let i = 0;
        while (i <= value.length) {
          i = listElement(value, i);
          const start = element.start;
          const end = element.end;
          if (start === end) continue;
          if (value.slice(start, end).toLowerCase() !== "100-continue") {
            throw new HttpError(417, "unsupported expectation");
          }
          expectContinue = true;
        }
        break;
      }
    }
  }

  if (http11 && hostCount === 0 && requireHost) {
    throw new HttpError(400, "missing host header");
  }
  let framing: BodyFraming;
  if (teSeen) {
    if (!chunked) throw new HttpError(400, "chunked is not the final transfer-coding");
    if (otherCoding) throw new HttpError(501, "unsupported transfer-coding");
    framing = CHUNKED;
  } else if (contentLength !== null) {
    framing = { kind: "length", length: contentLengthValue(contentLength) };
  } else {
    framing = NO_BODY;
  }
  // The strings a client sends again come from a cache; the others are slices
  // of the head's text, decoded once: far cheaper than a string each.
  beginHead(buf, methodStart, p);
  const method = headString(methodStart, methodEnd);
  const target = headString(targetStart, targetEnd);
  // One list of the exact size (grown by `push`, it would take room for 17 entries and more).
  const fields = new Array<string>(count * 3);
  for (let i = 0, k = 0; i < fields.length; i += 3, k += SPAN) {
    const start = spans[k];
    if (start < 0) {
      const slot = -1 - start;
      fields[i] = lineString(slot, 0);
      fields[i + 1] = lineString(slot, 1);
      fields[i + 2] = lineString(slot, 2);
      continue;
    }
    const name = headString(start, spans[k + 1]);
    const lower = lowerOfLast(name);
    fields[i] = name;
    fields[i + 1] = lower;
    if (isCredential(lower)) {
      fields[i + 2] = uncachedHeadString(spans[k + 2], spans[k + 3]);
      spans[k + 5] = CREDENTIAL;
    } else fields[i + 2] = headString(spans[k + 2], spans[k + 3]);
  }
  endHead();
  // Offered once every kept line this head hit is read: an offer may take one's slot.
  for (let k = 0; k < count * SPAN; k += SPAN) {
    const start = spans[k];
    const kind = spans[k + 5];
    if (start < 0 || kind === CREDENTIAL) continue;
    offerLine(buf, start, spans[k + 4], spans[k + 1], spans[k + 2], spans[k + 3], kind, lim);
  }
  const headers = new HeaderList();
  fillTrusted(headers, fields);
  const head: RequestHead = {
    method,
    target,
    version: http11 ? "1.1" : "1.0",
    headers,
    headLength: p,
    keepAlive: !close && (http11 || keepAliveOption),
    framing,
    expect: expectContinue && http11 ? "100-continue" : null,
  };
  kept?.offer(buf, head, fields, limits, requireHost);
  return head;
}

/**
 * Field lines of the head being parsed: start, name end, value start, value
 * end, line end, field kind (`framingField`, or `CREDENTIAL`: offered to no
 * cache); or `-1 - slot` alone for a kept line (`lineAt`).
 */
const SPAN = 6;
let spans = new Int32Array(SPAN * 64);

// Fields whose value is checked while the head is being read.
const OTHER = 0;
/** Not a framing field: a field whose line is never kept (`isCredential`). */
const CREDENTIAL = -1;
const HOST = 1;
const CONTENT_LENGTH = 2;
const TRANSFER_ENCODING = 3;
const CONNECTION = 4;
const EXPECT = 5;

const ASCII = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HOST_NAME = ASCII("host");
const EXPECT_NAME = ASCII("expect");
const CONNECTION_NAME = ASCII("connection");
const CONTENT_LENGTH_NAME = ASCII("content-length");
const TRANSFER_ENCODING_NAME = ASCII("transfer-encoding");

/** Whether the token `buf[start..]` equals `lower`, ignoring ASCII case. */
function nameIs(buf: Uint8Array, start: number, lower: Uint8Array): boolean {
  // `| 0x20` lowercases letters and leaves "-" alone; names are tokens, so no
  // other byte can turn into a letter or "-".
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i] | 0x20) !== lower[i]) return false;
  }
  return true;
}

/** Which framing-relevant field the name `buf[start, end)` is, without a string. */
function framingField(buf: Uint8Array, start: number, end: number): number {
  switch (end - start) {
    case 4:
      return nameIs(buf, start, HOST_NAME) ? HOST : OTHER;
    case 6:
      return nameIs(buf, start, EXPECT_NAME) ? EXPECT : OTHER;
    case 10:
      return nameIs(buf, start, CONNECTION_NAME) ? CONNECTION : OTHER;
    case 14:
      return nameIs(buf, start, CONTENT_LENGTH_NAME) ? CONTENT_LENGTH : OTHER;
    case 17:
      return nameIs(buf, start, TRANSFER_ENCODING_NAME) ? TRANSFER_ENCODING : OTHER;
    default:
      return OTHER;
  }
}

function incomplete(len: number, maxHead: number): null {
  if (len > maxHead) throw new HttpError(431, "request header section too large");
  return null;
}

/** Bounds of the list element last found by {@linkcode listElement}. */
const element = { start: 0, end: 0 };

/**
 * Finds the list element of `value` that starts at `i` (RFC 9110 §5.6.1),
 * OWS trimmed, into {@linkcode element}; `start === end` for an empty element,
 * which recipients must ignore. Returns the index past the comma, or
 * `value.length + 1` after the last element.
 */
function listElement(value: string, i: number): number {
  const n = value.length;
  while (i < n && (value.charCodeAt(i) === SP || value.charCodeAt(i) === HTAB)) i++;
  const start = i;
  while (i < n && value.charCodeAt(i) !== COMMA) i++;
  let end = i;
  while (end > start && (value.charCodeAt(end - 1) === SP || value.charCodeAt(end - 1) === HTAB)) {
    end--;
  }
  element.start = start;
  element.end = end;
  return i + 1;
}

/**
 * Checks one Content-Length field value against the ones seen before
 * (`previous`) and returns the value they all share.
 */
function checkContentLength(value: string, previous: string | null): string {
  let seen = previous;
  let i = 0;
  const n = value.length;
  do {
    i = listElement(value, i);
    const start = element.start;
    const end = element.end;
    if (start === end) throw new HttpError(400, "invalid content-length");
    // RFC 9110 allows "010", but an intermediary reading it as octal frames a different body:
    // refused, so no two parsers can disagree about where this request ends.
    if (end - start > 1 && value.charCodeAt(start) === 0x30) {
      throw new HttpError(400, "content-length with leading zeros");
    }
    for (let j = start; j < end; j++) {
      const c = value.charCodeAt(j);
      if (c < 0x30 || c > 0x39) throw new HttpError(400, "invalid content-length");
    }
    const digits = start === 0 && end === n ? value : value.slice(start, end);
    if (seen === null) {
      contentLengthValue(digits);
      seen = digits;
    } else if (digits !== seen) {
      throw new HttpError(400, "conflicting content-length");
    }
  } while (i <= n);
  return seen;
}

/** The number a checked `1*DIGIT` string denotes; 400 above 2^53 - 1. */
function contentLengthValue(digits: string): number {
  let v = 0;
  for (let j = 0; j < digits.length; j++) {
    v = v * 10 + (digits.charCodeAt(j) - 0x30);
    if (v > Number.MAX_SAFE_INTEGER) throw new HttpError(400, "content-length too large");
  }
  return v;
}

/**
 * Request header validation for HTTP/2 (RFC 9113 §8.2, §8.3): from a decoded
 * header list to the method, target and fields the HTTP/1.1 engine gives a
 * handler, as strict as the HTTP/1.1 parser.
 *
 * @module
 */

import {
  DEFAULT_PARSE_LIMITS,
  HeaderList,
  InvalidHeaderError,
  isFieldValue,
  isToken,
} from "../httputil/mod.ts";
import { ErrorCode, HeaderListTooLargeError, Http2Error } from "./errors.ts";

/**
 * A request head from an HTTP/2 HEADERS block, shaped as the HTTP/1.1
 * engine's `RequestHead` where they mean the same thing.
 *
 * @example
 * ```ts
 * import { type Http2RequestHead, validateRequestHeaders } from "@hussar/core/http2";
 * const head: Http2RequestHead = validateRequestHeaders([
 *   ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/a?b",
 * ]);
 * console.log(head.target, head.headers.get("host")); // /a?b example.com
 * ```
 */
export interface Http2RequestHead {
  /** `:method`. */
  method: string;
  /** `:scheme` (`http` or `https`); null for CONNECT. */
  scheme: string | null;
  /** `:authority`, or the Host field when `:authority` is absent; null if neither. */
  authority: string | null;
  /** `:path`; null for CONNECT. */
  path: string | null;
  /**
   * What an HTTP/1.1 request line would carry: `:path` (origin-form, or `*`
   * for OPTIONS), or the authority for CONNECT.
   */
  target: string;
  /**
   * The regular fields in order, names lower-case, Cookie fields joined with
   * "; " (§8.2.3), and a Host field made from `:authority` when the request
   * had none, so a handler sees what it would over HTTP/1.1.
   */
  headers: HeaderList;
  /** The Content-Length, or null; the DATA received must add up to it (§8.1.1). */
  contentLength: number | null;
}

/** Options of {@linkcode validateRequestHeaders}. */
export interface Http2RequestOptions {
  /**
   * Require an authority (`:authority` or Host), as HTTP/1.1 requires Host.
   * Default `true`.
   */
  requireHost?: boolean;
  /** Regular fields in one request; more is a 431. Default 100, as HTTP/1.1. */
  maxHeaderCount?: number;
  /** Octets of `:path`; longer is a 414. Default 8192, as HTTP/1.1. */
  maxUriLength?: number;
}

// §8.2.2: connection-specific fields make a message malformed.
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

function malformed(reason: string, status = 400): Http2Error {
  // §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR.
  return new Http2Error(ErrorCode.PROTOCOL_ERROR, "stream", reason, 0, status);
}

/**
 * §8.2.1 beyond what `HeaderList.append` checks: no uppercase in names, no
 * whitespace around values (append would strip it; HTTP/2 calls it malformed).
 */
function checkCaseAndSpace(name: string, value: string): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) throw malformed(`uppercase field name ${JSON.stringify(name)}`);
  }
  const n = value.length;
  if (n === 0) return;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
    throw malformed(`invalid value for ${JSON.stringify(name)}`);
  }
}

/**
 * Appends a regular field: `HeaderList.append` checks that the name is a
 * token and the value has no NUL, CR, LF or other control (§8.2.1 and the
 * HTTP/1.1 engine's rules), so nothing is scanned twice.
 */
function append(list: HeaderList, name: string, value: string): void {
  checkCaseAndSpace(name, value);
  try {
    list.append(name, value);
  } catch (error) {
    if (!(error instanceof InvalidHeaderError)) throw error;
    throw malformed(
      error.message.startsWith("invalid header name")
        ? `invalid field name ${JSON.stringify(name)}`
        : `invalid value for ${JSON.stringify(name)}`,
    );
  }
}

/** Whether `s` is an authority with no userinfo, made of characters a URI authority may hold. */
function isAuthority(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // §8.3.1: no userinfo ("@"); no delimiters that would end the authority in a URI.
    if (
      c <= 0x20 || c >= 0x7f || c === 0x40 || c === 0x2f || c === 0x3f || c === 0x23 ||
      c === 0x5c
    ) {
      return false;
    }
  }
  return true;
}

/** Whether `s` is `1*DIGIT` that fits a safe integer. */
function isContentLength(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Validates a decoded request header list, `[name, value, name, value, ...]`
 * as {@linkcode HpackDecoder.decode} returns it, and turns it into an
 * {@linkcode Http2RequestHead}. A malformed request (RFC 9113 §8.1.1)
 * throws {@linkcode Http2Error}, a stream error of type PROTOCOL_ERROR
 * whose `status` (400, 414, 431) a server may answer with first:
 *
 * - pseudo-header fields (§8.3): only `:method`, `:scheme`, `:authority`
 *   and `:path`, each at most once, all before the regular fields;
 *   `:method`, `:scheme` and a non-empty `:path` present except for CONNECT,
 *   which has `:authority` and neither `:scheme` nor `:path` (§8.5);
 *   `:path` in origin-form, or `*` for OPTIONS; `:scheme` http or https;
 *   `:authority` without userinfo, and equal to Host when both are there;
 * - field names lower-case tokens, values without NUL, CR, LF, other
 *   controls or surrounding whitespace (§8.2.1);
 * - no connection-specific fields (§8.2.2), `te` only as `trailers`;
 * - Content-Length as digits, repeated only with the same value.
 *
 * @example
 * ```ts
 * import { validateRequestHeaders } from "@hussar/core/http2";
 * const head = validateRequestHeaders([
 *   ":method", "POST", ":scheme", "http", ":authority", "a.test", ":path", "/up",
 *   "content-length", "5", "cookie", "a=1", "cookie", "b=2",
 * ]);
 * console.log(head.contentLength, head.headers.get("cookie")); // 5 a=1; b=2
 * try {
 *   validateRequestHeaders([":method", "GET", ":scheme", "http", ":path", "/", "connection", "close"]);
 * } catch (error) {
 *   console.log((error as Error).message); // PROTOCOL_ERROR: connection-specific field "connection"
 * }
 * ```
 */
export function validateRequestHeaders(
  fields: readonly string[],
  options: Http2RequestOptions = {},
): Http2RequestHead {
  const maxCount = options.maxHeaderCount ?? DEFAULT_PARSE_LIMITS.maxHeaderCount;
  const maxUri = options.maxUriLength ?? DEFAULT_PARSE_LIMITS.maxUriLength;
  let method: string | null = null;
  let scheme: string | null = null;
  let authority: string | null = null;
  let path: string | null = null;
  let host: string | null = null;
  let contentLength: string | null = null;
  let cookie: string | null = null;
  let regular = false;
  let count = 0;
  const headers = new HeaderList();
  const n = fields.length;
  for (let i = 0; i + 1 < n; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name.charCodeAt(0) === 0x3a) {
      // §8.3: pseudo-header fields come first, once each, and only those defined for requests.
      if (regular) throw malformed(`pseudo-header ${name} after a regular field`);
      if (!isFieldValue(value)) throw malformed(`invalid value for ${JSON.stringify(name)}`);
      switch (name) {
        case ":method":
          if (method !== null) throw malformed("duplicate :method");
          if (!isToken(value)) throw malformed("invalid :method");
          method = value;
          break;
        case ":scheme":
          if (scheme !== null) throw malformed("duplicate :scheme");
          scheme = value;
          break;
        case ":authority":
          if (authority !== null) throw malformed("duplicate :authority");
          if (!isAuthority(value)) throw malformed("invalid :authority");
          authority = value;
          break;
        case ":path":
          if (path !== null) throw malformed("duplicate :path");
          if (value.length > maxUri) throw malformed(":path too long", 414);
          path = value;
          break;
        default:
          throw malformed(`unknown pseudo-header ${JSON.stringify(name)}`);
      }
      continue;
    }
    regular = true;
    if (CONNECTION_SPECIFIC.has(name)) {
      throw malformed(`connection-specific field ${JSON.stringify(name)}`);
    }
    if (++count > maxCount) throw new HeaderListTooLargeError("too many header fields");
    switch (name) {
      case "te":
        // §8.2.2: te may only say "trailers".
        if (value.toLowerCase() !== "trailers") throw malformed("te other than trailers");
        break;
      case "host":
        if (host !== null) throw malformed("multiple host fields");
        if (!isAuthority(value)) throw malformed("invalid host");
        host = value;
        break;
      case "content-length":
        if (!isContentLength(value)) throw malformed("invalid content-length");
        if (contentLength !== null && contentLength !== value) {
          throw malformed("conflicting content-length");
        }
        contentLength = value;
        break;
      case "cookie":
        // §8.2.3: crumbs are joined for an HTTP/1.1-shaped consumer.
        checkCaseAndSpace(name, value);
        if (!isFieldValue(value)) throw malformed(`invalid value for "cookie"`);
        cookie = cookie === null ? value : `${cookie}; ${value}`;
        continue;
    }
    append(headers, name, value);
  }
  if (method === null) throw malformed("missing :method");
  let target: string;
  if (method === "CONNECT") {
    // §8.5
    if (scheme !== null || path !== null) throw malformed("CONNECT with :scheme or :path");
    if (authority === null) throw malformed("CONNECT without :authority");
    target = authority;
  } else {
    if (scheme === null) throw malformed("missing :scheme");
    if (scheme !== "http" && scheme !== "https") throw malformed("unsupported :scheme");
    if (path === null || path.length === 0) throw malformed("missing :path");
    if (!isPath(path)) throw malformed("invalid :path");
    if (path === "*" && method !== "OPTIONS") throw malformed("asterisk-form is only for OPTIONS");
    target = path;
  }
  // §8.3.1: Host and :authority must name the same entity.
  if (authority !== null && host !== null && authority.toLowerCase() !== host.toLowerCase()) {
    throw malformed("host differs from :authority");
  }
  if (authority === null) authority = host;
  if (authority === null && options.requireHost !== false) throw malformed("missing :authority");
  if (host === null && authority !== null) headers.append("host", authority);
  if (cookie !== null) headers.append("cookie", cookie);
  return {
    method,
    scheme,
    authority,
    path,
    target,
    headers,
    contentLength: contentLength === null ? null : Number(contentLength),
  };
}

/** Origin-form (visible ASCII, starting with "/") or "*" (§8.3.1). */
function isPath(s: string): boolean {
  if (s === "*") return true;
  if (s.charCodeAt(0) !== 0x2f) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Validates a decoded trailer list (the header block that ends a stream
 * after DATA, §8.1): the rules of regular fields in
 * {@linkcode validateRequestHeaders}, and no pseudo-header fields at all.
 *
 * @example
 * ```ts
 * import { validateTrailers } from "@hussar/core/http2";
 * console.log(validateTrailers(["grpc-status", "0"]).get("grpc-status")); // 0
 * try {
 *   validateTrailers([":path", "/"]);
 * } catch (error) {
 *   console.log((error as Error).message); // PROTOCOL_ERROR: pseudo-header :path in trailers
 * }
 * ```
 */
export function validateTrailers(
  fields: readonly string[],
  options: Pick<Http2RequestOptions, "maxHeaderCount"> = {},
): HeaderList {
  const maxCount = options.maxHeaderCount ?? DEFAULT_PARSE_LIMITS.maxHeaderCount;
  const trailers = new HeaderList();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name.charCodeAt(0) === 0x3a) throw malformed(`pseudo-header ${name} in trailers`);
    if (CONNECTION_SPECIFIC.has(name)) {
      throw malformed(`connection-specific field ${JSON.stringify(name)}`);
    }
    if (name === "te" && value.toLowerCase() !== "trailers") {
      throw malformed("te other than trailers");
    }
    if (trailers.size === maxCount) throw new HeaderListTooLargeError("too many trailer fields");
    append(trailers, name, value);
  }
  return trailers;
}

/**
 * Byte classes of RFC 9110/9112 as 256-entry lookup tables, so hot loops test
 * one array element per byte instead of branching on ranges.
 *
 * @module
 */

/** Carriage return. */
export const CR = 0x0d;
/** Line feed. */
export const LF = 0x0a;
/** Space. */
export const SP = 0x20;
/** Horizontal tab. */
export const HTAB = 0x09;
/** `:` */
export const COLON = 0x3a;
/** `;` */
export const SEMI = 0x3b;
/** `=` */
export const EQUALS = 0x3d;
/** `"` */
export const DQUOTE = 0x22;
/** `\` */
export const BACKSLASH = 0x5c;

function table(accepts: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = accepts(b) ? 1 : 0;
  return t;
}

const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/** tchar (RFC 9110 §5.6.2): the bytes of a token. */
export const TCHAR: Uint8Array = table((b) =>
  isAlnum(b) || (b < 0x80 && TCHAR_SYMBOLS.includes(String.fromCharCode(b)))
);

/**
 * Bytes allowed inside a field value: field-vchar (VCHAR / obs-text), SP and
 * HTAB (RFC 9110 §5.5). Everything else is a CTL (NUL, CR, LF, DEL, ...).
 */
export const FIELD_VALUE: Uint8Array = table((b) =>
  b === HTAB || b === SP || (b >= 0x21 && b <= 0x7e) || b >= 0x80
);

/**
 * Bytes allowed in a request-target: visible US-ASCII. RFC 3986 has no
 * non-ASCII characters, so raw UTF-8 or obs-text in a target is an error.
 */
export const TARGET: Uint8Array = table((b) => b >= 0x21 && b <= 0x7e);

/** qdtext (RFC 9110 §5.6.4): what a quoted-string holds without escaping. */
export const QDTEXT: Uint8Array = table((b) =>
  b === HTAB || b === SP || b === 0x21 || (b >= 0x23 && b <= 0x5b) ||
  (b >= 0x5d && b <= 0x7e) || b >= 0x80
);

/** What may follow a backslash in a quoted-pair (RFC 9110 §5.6.4). */
export const QUOTED_PAIR: Uint8Array = table((b) =>
  b === HTAB || b === SP || (b >= 0x21 && b <= 0x7e) || b >= 0x80
);

/** Value of a hexadecimal digit, or -1 (`HEX_VALUE[b] === 255`). */
export const HEX_VALUE: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    t[0x41 + d] = 10 + d;
    t[0x61 + d] = 10 + d;
  }
  return t;
})();

/**
 * reg-name bytes of a host (RFC 3986 §3.2.2): unreserved and sub-delims;
 * `%` is checked separately because it must start a pct-encoding.
 */
export const REG_NAME: Uint8Array = table((b) =>
  isAlnum(b) || (b < 0x80 && "-._~!$&'()*+,;=".includes(String.fromCharCode(b)))
);

/** Bytes inside an IP-literal's brackets (IPv6address or IPvFuture). */
export const IP_LITERAL: Uint8Array = table((b) =>
  isAlnum(b) || (b < 0x80 && "-._~!$&'()*+,;=:".includes(String.fromCharCode(b)))
);

/** Scheme bytes after the first letter (RFC 3986 §3.1). */
export const SCHEME: Uint8Array = table((b) =>
  isAlnum(b) || b === 0x2b || b === 0x2d || b === 0x2e
);

const utf8 = new TextDecoder();

/**
 * Decodes bytes as latin1 (one char per byte), so obs-text survives and the
 * value can be re-encoded byte for byte. Not TextDecoder("latin1"): that is
 * windows-1252 and remaps 0x80-0x9F. ASCII-only runs, the common case, go
 * through the native UTF-8 decoder (same result for ASCII, and faster than
 * building the string in JS beyond a few bytes).
 */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 12) {
    let out = "";
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]);
    return out;
  }
  let i = start;
  while (i < end && bytes[i] < 0x80) i++;
  // A view by the constructor: `subarray` looks up a species constructor first.
  if (i === end) return utf8.decode(new Uint8Array(bytes.buffer, bytes.byteOffset + start, n));
  let out = "";
  for (i = start; i < end; i += 8192) {
    const stop = i + 8192 < end ? i + 8192 : end;
    out += String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]);
  }
  return out;
}

/** `true` when every char of `s` is a tchar and `s` is non-empty. */
export function isTokenString(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Index of the first non-OWS char of `s` at or after `i`. */
export function skipOws(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
    i++;
  }
  return i;
}

/** Index just after the last non-OWS char of `s` before `end`. */
export function trimOwsEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== SP && c !== HTAB) break;
    end--;
  }
  return end;
}

/** Shared with http2/: see internal/bytes.ts. */
export { isShortAscii } from "../internal/bytes.ts";

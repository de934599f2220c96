/**
 * Field-line scanning shared by the request head and chunked trailers, and the
 * parser's private way to fill a {@linkcode HeaderList} without re-validating.
 *
 * @module
 */

import type { HeaderList } from "./headers.ts";
import { HttpError } from "./errors.ts";
import { COLON, CR, FIELD_VALUE, HTAB, LF, SP, TCHAR } from "./_chars.ts";
import {
  type LentFields,
  type ReadFields,
  registerFill,
  type TrustedFill,
} from "../internal/header_fill.ts";

export { fillTrusted } from "../internal/header_fill.ts";

type TrustedAppend = (list: HeaderList, name: string, lower: string, value: string) => void;

let trustedAppend: TrustedAppend | undefined;

/** Called once by HeaderList's static block to hand over its private append, fill, look and read. */
export function registerTrusted(
  append: TrustedAppend,
  fill: TrustedFill,
  look: LentFields,
  read: ReadFields,
): void {
  trustedAppend = append;
  registerFill(fill, look, read);
}

/**
 * Appends a field the scanner already validated. `lower` must be
 * `name.toLowerCase()`.
 */
export function appendTrusted(list: HeaderList, name: string, lower: string, value: string): void {
  trustedAppend!(list, name, lower, value);
}

/**
 * Where the last line scanned by {@linkcode scanFieldLine} keeps its parts:
 * name is `[lineStart, nameEnd)`, value `[valueStart, valueEnd)` with OWS
 * already trimmed. Module state avoids an allocation per line.
 */
export const fieldSpan: { nameEnd: number; valueStart: number; valueEnd: number } = {
  nameEnd: 0,
  valueStart: 0,
  valueEnd: 0,
};

/** A 400 for a bare CR: CR is only valid as part of CRLF (RFC 9112 §2.2). */
export function bareCr(): HttpError {
  return new HttpError(400, "bare cr");
}

/** A 400 for a bare LF: this parser requires CRLF (RFC 9112 §2.2 allows it). */
export function bareLf(): HttpError {
  return new HttpError(400, "bare lf");
}

/**
 * Scans one `field-name ":" OWS field-value OWS CRLF` line starting at `p`,
 * whose first byte the caller has checked is not CR, LF, SP or HTAB.
 * Returns the index after its CRLF, or -1 when `lim` is reached first.
 * Throws a 400 at the first byte that cannot belong to a valid line.
 */
export function scanFieldLine(buf: Uint8Array, p: number, lim: number): number {
  const start = p;
  while (p < lim && TCHAR[buf[p]] === 1) p++;
  if (p >= lim) return -1;
  let b = buf[p];
  if (b !== COLON) {
    if (b === SP || b === HTAB) throw new HttpError(400, "whitespace in header name");
    if (b === CR || b === LF) throw new HttpError(400, "header line without colon");
    throw new HttpError(400, "invalid header name");
  }
  if (p === start) throw new HttpError(400, "empty header name");
  const nameEnd = p++;
  while (p < lim && (buf[p] === SP || buf[p] === HTAB)) p++;
  const valueStart = p;
  while (p < lim && FIELD_VALUE[buf[p]] === 1) p++;
  if (p >= lim) return -1;
  b = buf[p];
  if (b !== CR) {
    if (b === LF) throw bareLf();
    throw new HttpError(400, "invalid header value");
  }
  if (p + 1 >= lim) return -1;
  if (buf[p + 1] !== LF) throw bareCr();
  let valueEnd = p;
  while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) {
    valueEnd--;
  }
  fieldSpan.nameEnd = nameEnd;
  fieldSpan.valueStart = valueStart;
  fieldSpan.valueEnd = valueEnd;
  return p + 2;
}

/**
 * The strings of a request head (method, target, field names and values),
 * taken from a small cache of the ones seen before when the same bytes come
 * again, as they do on every request of a client (its Host, User-Agent,
 * Accept...): no string is built, no decoder called, and a field name's
 * lower case is kept beside it.
 *
 * The cache is direct-mapped (a slot per hash, the last string wins), its
 * strings short (`CACHED` bytes at most) and checked byte for byte before
 * one is reused, so it holds at most `SLOTS × CACHED` chars and cannot be
 * made to answer wrong or to cost more than a miss per string.
 *
 * The caches are shared by every client of the process, and a hit is quicker
 * than a miss: a cached string is compared whole (the time does not tell how
 * much of it matched), and credentials (`Authorization`,
 * `Proxy-Authorization`, `Cookie`) are never kept, so no client can learn by
 * timing what another one sent (as HPACK never indexes them, RFC 7541 §7.1.3).
 *
 * @module
 */

import { latin1 } from "./_chars.ts";

/** Strings longer than this are never cached. */
const CACHED = 64;
/**
 * Strings up to this long are cheap to build (char by char, see `latin1`) and
 * cached at their first miss; longer ones at their second (see `headString`).
 */
const SHORT = 12;
const SLOTS = 512;
const strings: string[] = new Array(SLOTS).fill("");
/** `strings[i].toLowerCase()`, once asked for (`""`: not yet). */
const lowers: string[] = new Array(SLOTS).fill("");
/** The signature of the last longer string that missed in each slot (see `headString`). */
const missed = new Int32Array(SLOTS);
/** The slot of the string last returned by {@linkcode headString} (-1: not cached). */
let lastSlot = -1;

/** The head being read, and its text once decoded (by the first string that needs it). */
const EMPTY = new Uint8Array(0);
let headBytes: Uint8Array = EMPTY;
let headStart = 0;
let headEnd = 0;
let headText: string | null = null;

/** Starts on the head in `buf[start, end)`: the strings asked for next are its own. */
export function beginHead(buf: Uint8Array, start: number, end: number): void {
  headBytes = buf;
  headStart = start;
  headEnd = end;
  headText = null;
}

/** Done with the head: nothing of it is kept. */
export function endHead(): void {
  headBytes = EMPTY;
  headText = null;
}

/** `[start, end)` of the head as a slice of its text, decoded once for all such slices. */
function sliced(start: number, end: number): string {
  headText ??= latin1(headBytes, headStart, headEnd);
  return headText.slice(start - headStart, end - headStart);
}

/**
 * Bytes `[start, end)` of the head (see {@linkcode beginHead}) as a latin1
 * string (see `latin1`), from the cache when these bytes were seen before.
 * A longer string is cached the second time running it misses its slot:
 * until then it is a slice of the head's text, which a cached string must
 * not be (it would keep the whole head).
 */
export function headString(start: number, end: number): string {
  const buf = headBytes;
  const n = end - start;
  if (n > CACHED || n === 0) {
    lastSlot = -1;
    return n === 0 ? "" : sliced(start, end);
  }
  // A hash of the length and three bytes: cheap, and the check below makes any collision a miss.
  const first = buf[start];
  const middle = buf[start + (n >> 1)];
  const last = buf[end - 1];
  const slot = (n * 7 + first * 31 + last * 17 + middle) & (SLOTS - 1);
  const cached = strings[slot];
  if (cached.length === n) {
    // Compared whole: the time taken does not tell how much of a cached string matched.
    let differ = 0;
    for (let i = 0; i < n; i++) differ |= cached.charCodeAt(i) ^ buf[start + i];
    if (differ === 0) {
      lastSlot = slot;
      return cached;
    }
  }
  if (n > SHORT) {
    const signature = n | first << 8 | middle << 16 | last << 24;
    if (missed[slot] !== signature) {
      missed[slot] = signature;
      lastSlot = -1;
      return sliced(start, end);
    }
  }
  const made = latin1(buf, start, end);
  strings[slot] = made;
  lowers[slot] = "";
  lastSlot = slot;
  return made;
}

/** Bytes `[start, end)` of the head as a string that no cache keeps (a credential's value). */
export function uncachedHeadString(start: number, end: number): string {
  return start === end ? "" : sliced(start, end);
}

/** Whether a field of lower-case name `lower` carries credentials (kept by no cache). */
export function isCredential(lower: string): boolean {
  switch (lower.length) {
    case 6:
      return lower === "cookie";
    case 13:
      return lower === "authorization";
    case 19:
      return lower === "proxy-authorization";
    default:
      return false;
  }
}

/** Whether a cache holds `text`, as a string or a kept line's value (for tests). */
export function cachesHold(text: string): boolean {
  return strings.includes(text) || lineStrings.includes(text);
}

/** `name.toLowerCase()`, for the `name` {@linkcode headString} just returned. */
export function lowerOfLast(name: string): string {
  if (lastSlot === -1) return name.toLowerCase();
  const lower = lowers[lastSlot];
  if (lower !== "") return lower;
  return lowers[lastSlot] = name.toLowerCase();
}

/**
 * Whole field lines seen before, each with its strings and what kind of field
 * the parser found it to be. A line is only taken from a head that parsed
 * whole, so it passed every check the parser makes of a line alone (syntax,
 * Host's syntax); the same bytes, CRLF included, at a line's start are the
 * same valid line, and the scan of its bytes and the lookup of its strings
 * become one compare. What depends on the rest of the head (a second Host,
 * Content-Length with Transfer-Encoding) is still checked by the parser.
 * Direct-mapped by the line's first `LINE_KEY` bytes, a line kept the second
 * time running it misses its slot, at most `LINE_CACHED` bytes and a value
 * of at most `CACHED` (as cached strings are).
 */
const LINE_SLOTS = 256;
const LINE_CACHED = 128;
const LINE_KEY = 8;
const lines: (Uint8Array | null)[] = new Array(LINE_SLOTS).fill(null);
/** Name, lower case, value, for each slot's line. */
const lineStrings: string[] = new Array(3 * LINE_SLOTS).fill("");
const lineKinds = new Uint8Array(LINE_SLOTS);
/** The signature (key and length) of the last line that missed in each slot. */
const lineMissed = new Int32Array(LINE_SLOTS);

/** A hash of the `LINE_KEY` bytes from `p` (the caller checked they are there). */
function lineKey(buf: Uint8Array, p: number): number {
  const low = buf[p] | buf[p + 1] << 8 | buf[p + 2] << 16 | buf[p + 3] << 24;
  const high = buf[p + 4] | buf[p + 5] << 8 | buf[p + 6] << 16 | buf[p + 7] << 24;
  return Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
}

/**
 * The slot of the kept line that `buf[p, lim)` starts with, or -1. Its bytes
 * are compared whole, so the time taken does not tell where a line differs.
 */
export function lineAt(buf: Uint8Array, p: number, lim: number): number {
  if (p + LINE_KEY > lim) return -1;
  const slot = lineKey(buf, p) >>> 24;
  const line = lines[slot];
  if (line === null) return -1;
  const n = line.length;
  if (p + n > lim) return -1;
  let differ = 0;
  for (let i = 0; i < n; i++) differ |= buf[p + i] ^ line[i];
  return differ === 0 ? slot : -1;
}

/** The length of slot `slot`'s line, CRLF included. */
export function lineLength(slot: number): number {
  return lines[slot]!.length;
}

/** The field kind the parser found slot `slot`'s line to be. */
export function lineKind(slot: number): number {
  return lineKinds[slot];
}

/** Slot `slot`'s name (`part` 0), lower-case name (1) or value (2). */
export function lineString(slot: number, part: number): string {
  return lineStrings[3 * slot + part];
}

/**
 * Offers the line `buf[start, end)` of a head that parsed whole (name
 * `[start, nameEnd)`, value `[valueStart, valueEnd)`, field kind `kind`) to
 * be kept; `lim` is the bound the parse read within.
 */
export function offerLine(
  buf: Uint8Array,
  start: number,
  end: number,
  nameEnd: number,
  valueStart: number,
  valueEnd: number,
  kind: number,
  lim: number,
): void {
  const n = end - start;
  if (start + LINE_KEY > lim || n > LINE_CACHED || valueEnd - valueStart > CACHED) return;
  const key = lineKey(buf, start);
  const slot = key >>> 24;
  const signature = key ^ n;
  if (lineMissed[slot] !== signature) {
    lineMissed[slot] = signature;
    return;
  }
  lines[slot] = buf.slice(start, end);
  const name = latin1(buf, start, nameEnd);
  lineStrings[3 * slot] = name;
  lineStrings[3 * slot + 1] = name.toLowerCase();
  lineStrings[3 * slot + 2] = latin1(buf, valueStart, valueEnd);
  lineKinds[slot] = kind;
}

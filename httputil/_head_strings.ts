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
    let i = 0;
    while (i < n && cached.charCodeAt(i) === buf[start + i]) i++;
    if (i === n) {
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

/** `name.toLowerCase()`, for the `name` {@linkcode headString} just returned. */
export function lowerOfLast(name: string): string {
  if (lastSlot === -1) return name.toLowerCase();
  const lower = lowers[lastSlot];
  if (lower !== "") return lower;
  return lowers[lastSlot] = name.toLowerCase();
}

/**
 * Response heads written as bytes: the serialiser's machinery, shared by
 * `serialize.ts` (whose functions return buffers of their own) and the
 * engine's responses (`respond.ts`), whose buffers are pieces of a shared
 * slab that only the transport sees.
 *
 * @module
 */
import { cutPiece, SLAB_OUTPUT, slabFree, slabRoom } from "../internal/bytes.ts";
import { httpDate } from "./date.ts";
import { InvalidHeaderError } from "./errors.ts";
import { isToken } from "./headers.ts";
import { isShortAscii, TCHAR } from "./_chars.ts";
import { code2status, isNullBodyStatus } from "./status.ts";
import type { ResponseHead, SerializeResponseOptions } from "./serialize.ts";

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
 * A pooled head is written straight into the output slab instead (see
 * `produce`): `scratch` is then the slab and `base` where the head starts.
 */
let reusable: Uint8Array = new Uint8Array(1024);
let scratch: Uint8Array = reusable;
let base = 0;
let at = 0;
/** The buffer is being written (a header value's `toString` may serialise too). */
let busy = false;
/** A buffer grown past this by a huge head is dropped after it, not kept. */
const KEPT_SCRATCH = 16 * 1024;

/** Makes room for `n` more bytes: a larger buffer of its own, what is written so far copied in. */
function room(n: number): void {
  if (at + n <= scratch.length) return;
  const used = at - base;
  let size = 1024;
  while (size < used + n) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(scratch.subarray(base, at));
  scratch = grown;
  base = 0;
  at = used;
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

/**
 * Field lines written before, as bytes, in a slot per hash of the name and
 * value: a response's constant fields (its `Content-Type`, say) are checked
 * char by char the first times, then copied as bytes. A line is kept the
 * second time running its slot misses with it, so fields that change with
 * every response never cost a copy.
 */
const FIELD_SLOTS = 64;
const FIELD_CACHED = 128;
const fieldNames: string[] = new Array(FIELD_SLOTS).fill("");
const fieldValues: string[] = new Array(FIELD_SLOTS).fill("");
const fieldLines: (Uint8Array | null)[] = new Array(FIELD_SLOTS).fill(null);

/** `name: value\r\n`, checking the name is a token and the value as {@linkcode checkValue} does. */
function putField(name: string, value: string): void {
  const slot = (name.length * 31 + value.length * 7 + name.charCodeAt(0)) & (FIELD_SLOTS - 1);
  if (fieldNames[slot] === name && fieldValues[slot] === value) {
    const line = fieldLines[slot];
    if (line !== null) return putBytes(line);
    // The second miss in a row: keep the line this time.
    const offset = at - base; // `room` may move what is written to a larger buffer
    writeField(name, value);
    if (at - base - offset <= FIELD_CACHED) fieldLines[slot] = scratch.slice(base + offset, at);
    return;
  }
  writeField(name, value);
  fieldNames[slot] = name;
  fieldValues[slot] = value;
  fieldLines[slot] = null;
}

/** {@linkcode putField}'s check and copy, char by char. */
function writeField(name: string, value: string): void {
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
/**
 * The clock was read for the task running now: the responses it writes (a
 * scheduler tick writes many) share that reading, and a microtask makes the
 * next task read it again.
 */
let dateRead = false;
const dateStale = (): void => void (dateRead = false);

/** `date: ...\r\n`, as bytes rebuilt once a second (RFC 9110 §6.6.1): a new buffer when it changes. */
function currentDateLine(): Uint8Array {
  if (!dateRead) {
    dateRead = true;
    queueMicrotask(dateStale);
    const text = httpDate();
    if (text !== dateText) {
      dateText = text;
      dateLine = ascii(`date: ${text}\r\n`);
    }
  }
  return dateLine;
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
export function checkValue(name: string, value: string): string {
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

/** A response head's fields as name-value pairs, whichever of its shapes they come in. */
export function pairsOf(headers: ResponseHead["headers"]): Iterable<readonly [string, string]> {
  if (headers === undefined) return [];
  if (Symbol.iterator in headers) return headers as Iterable<readonly [string, string]>;
  return Object.entries(headers as Record<string, string>);
}

/**
 * Writes the head (and a string `tail`) into the shared buffer, or in place
 * in the slab (on V8, `forTransport`: only a transport sees the buffer), and
 * returns it followed by `tail` (bytes, or an ASCII string: see
 * `isShortAscii`) as one new buffer: a slab piece if pooled and small.
 * `shared`: the transport only reads it, so the last one is handed out
 * again for the same response (see `lastWhole`). A nested call (from a
 * header value's `toString`) writes in a buffer of its own and returns a
 * buffer of its own.
 */
function produce(
  head: ResponseHead,
  options: Omit<SerializeResponseOptions, "contentLength">,
  contentLength: number | null,
  tail: Uint8Array | string | null,
  forTransport: boolean,
  shared: boolean,
): Uint8Array {
  const nested = busy;
  const pooled = forTransport && SLAB_OUTPUT;
  const outer = scratch;
  const outerBase = base;
  const outerAt = at;
  // A pooled head is written in place in the slab's free part, so it is neither copied nor
  // viewed twice (a nested call would write over the outer head's place there).
  const inSlab = pooled && !nested;
  if (inSlab) {
    scratch = slabRoom();
    base = slabFree();
  } else {
    scratch = nested ? new Uint8Array(1024) : reusable;
    base = 0;
  }
  at = base;
  busy = true;
  try {
    const same = sameAsLast(head, options, contentLength);
    const reuse = same === true && shared && !nested &&
      (tail === null || typeof tail === "string");
    if (reuse && lastWhole !== null && tail === lastTail) return lastWhole;
    writeHead(head, options, contentLength, same);
    if (typeof tail === "string") putLatin1(tail);
    const size = at - base;
    const bytes = tail === null || typeof tail === "string" ? null : tail;
    const total = bytes === null ? size : size + bytes.length;
    if (inSlab) {
      // In place: the piece is where the head was written (unless it outgrew the slab).
      const piece = cutPiece(scratch, base, total);
      if (piece !== null) {
        if (bytes !== null) piece.set(bytes, size);
        return reuse ? keepWhole(piece, tail as string | null) : piece;
      }
    }
    // Too large for a piece (or nested, when the slab's free part is the outer head's, or not
    // pooled): a buffer of its own, the head (and a string tail) copied out with no view made.
    if (bytes === null) {
      const out = scratch.slice(base, at);
      return reuse ? keepWhole(out, tail as string | null) : out;
    }
    const out = new Uint8Array(total);
    out.set(new Uint8Array(scratch.buffer, base, size));
    if (bytes !== null) out.set(bytes, size);
    return out;
  } finally {
    if (nested) {
      scratch = outer;
      base = outerBase;
      at = outerAt;
    } else {
      busy = false;
      // A buffer grown for a huge head is let go; one grown out of the slab is the slab's.
      if (!inSlab && scratch.length <= KEPT_SCRATCH) reusable = scratch;
      scratch = reusable;
      base = 0;
      at = 0;
    }
  }
}

/**
 * `serializeResponseHead`'s bytes. `forTransport`: only a transport sees
 * them, and `shared`, it only reads them (see `produce`); else they are the
 * caller's own.
 */
export function headBytes(
  head: ResponseHead,
  options: SerializeResponseOptions,
  forTransport: boolean,
  shared = false,
): Uint8Array {
  return produce(head, options, options.contentLength ?? null, null, forTransport, shared);
}

/**
 * The last head written, as what it was written from and, once the same
 * head came twice running, as its bytes: an app answers with the same
 * status and fields again and again, and a head whose fields are strings
 * is a function of these inputs and the `Date` line alone. Such a head is
 * compared and copied, not checked and written field by field.
 */
const SAME_FIELDS = 8;
/** Name, value, for each field of the last head (its field count in `lastCount`; -1: none). */
const lastFields: string[] = new Array(2 * SAME_FIELDS).fill("");
let lastCount = -1;
let lastStatus = 0;
let lastStatusText: string | undefined;
let lastClose: boolean | undefined;
let lastKeepAlive: number | undefined;
let lastVersion: string | undefined;
let lastMethod: string | undefined;
let lastDate: Uint8Array | null = null;
let lastLength: number | null = null;
/** The last head's bytes, once it was written twice running (`null`: not yet). */
let lastHead: Uint8Array | null = null;
/**
 * Once `lastHead` is kept: the last buffer handed to a transport with that
 * head and `lastTail` after it (a short text body, or none), or `null`. An
 * app answers the same small response again and again (within a second:
 * the `Date` line is in the head): the same bytes go out again, not a copy
 * of them per response. A transport only reads what it is given.
 */
let lastWhole: Uint8Array | null = null;
let lastTail: string | null = null;

/** Keeps `out` as {@linkcode lastWhole} if the head it starts with is kept; returns it. */
function keepWhole(out: Uint8Array, tail: string | null): Uint8Array {
  if (lastHead !== null) {
    lastWhole = out;
    lastTail = tail;
  }
  return out;
}

/**
 * Whether the head to write is the last one again: `true` if so, else its
 * inputs become the last (`false`), or it cannot be compared (`null`: fields
 * other than a short array of string pairs or a record of a few strings).
 */
function sameAsLast(
  head: ResponseHead,
  options: Omit<SerializeResponseOptions, "contentLength">,
  contentLength: number | null,
): boolean | null {
  const headers = head.headers;
  const pairs = headers as readonly (readonly [string, string])[];
  const record = headers as Record<string, unknown>;
  /** A record's own names, in the order `Object.entries` gives its fields (`null`: pairs). */
  let names: string[] | null = null;
  let count = 0;
  if (headers !== undefined) {
    if (Array.isArray(headers)) {
      if (headers.length > SAME_FIELDS) return null;
      count = headers.length;
      for (let i = 0; i < count; i++) {
        const pair = pairs[i];
        if (typeof pair[0] !== "string" || typeof pair[1] !== "string") return null;
      }
    } else if (Symbol.iterator in headers) {
      return null;
    } else {
      names = Object.keys(headers);
      count = names.length;
      if (count > SAME_FIELDS) return null;
      for (let i = 0; i < count; i++) if (typeof record[names[i]] !== "string") return null;
    }
  }
  const date = options.date === false ? null : currentDateLine();
  let same = count === lastCount && head.status === lastStatus &&
    head.statusText === lastStatusText && options.close === lastClose &&
    options.keepAliveTimeout === lastKeepAlive && options.version === lastVersion &&
    options.requestMethod === lastMethod && date === lastDate && contentLength === lastLength;
  for (let i = 0; same && i < count; i++) {
    const name = names === null ? pairs[i][0] : names[i];
    const value = names === null ? pairs[i][1] : record[name];
    same = name === lastFields[2 * i] && value === lastFields[2 * i + 1];
  }
  if (same) return true;
  for (let i = 0; i < count; i++) {
    const name = names === null ? pairs[i][0] : names[i];
    lastFields[2 * i] = name;
    lastFields[2 * i + 1] = (names === null ? pairs[i][1] : record[name]) as string;
  }
  lastCount = count;
  lastStatus = head.status;
  lastStatusText = head.statusText;
  lastClose = options.close;
  lastKeepAlive = options.keepAliveTimeout;
  lastVersion = options.version;
  lastMethod = options.requestMethod;
  lastDate = date;
  lastLength = contentLength;
  lastHead = null;
  lastWhole = null;
  return false;
}

/** Writes the head, up to and including the empty line, into the shared buffer. */
function writeHead(
  head: ResponseHead,
  options: Omit<SerializeResponseOptions, "contentLength">,
  contentLength: number | null,
  same: boolean | null,
): void {
  if (same && lastHead !== null) return putBytes(lastHead);
  const offset = at - base; // `room` may move what is written to a larger buffer
  writeFields(head, options, contentLength);
  // The second time running: the bytes are kept (a head that throws is never kept).
  if (same) lastHead = scratch.slice(base + offset, at);
}

/** {@linkcode writeHead}'s checks and writes, field by field. */
function writeFields(
  head: ResponseHead,
  options: Omit<SerializeResponseOptions, "contentLength">,
  contentLength: number | null,
): void {
  // Everything is read from `head` and `options` before a header value's `toString` may run
  // (and serialise another response, with objects the caller may reuse).
  const status = head.status;
  const { close, keepAliveTimeout, version, requestMethod } = options;
  const date = options.date !== false;
  const nullBody = isNullBodyStatus(status);
  // A HEAD response may announce the size a GET would get (RFC 9110 §9.3.2): the handler's value.
  const answersHead = requestMethod === "HEAD";
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
      if (lower === "connection" && /(^|,)\s*keep-alive\s*(,|$)/i.test(checked) && !close) {
        putBytes(KEEP_ALIVE_OPTION);
      }
      continue;
    }
    if (lower === "date") hasDate = true;
    putField(name, checked);
  }
  if (!hasDate && date) putBytes(currentDateLine());
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
    } else if (version !== "1.0" && requestMethod !== "HEAD") {
      putBytes(CHUNKED);
    }
  }
  if (close) putBytes(CLOSE);
  else if (keepAliveTimeout !== undefined && status >= 200) {
    // Only a final response leaves an HTTP connection idle (a 101 hands it to another protocol).
    putKeepAlive(keepAliveTimeout);
  }
  room(2);
  scratch[at++] = 0x0d;
  scratch[at++] = 0x0a;
}

/**
 * A string body as the serialiser takes it: itself when short and ASCII
 * (its bytes are its char codes, copied next to the head), else its UTF-8 bytes.
 */
export function outgoingText(text: string): Uint8Array | string {
  return isShortAscii(text) ? text : encoder.encode(text);
}

/**
 * `serializeResponse`'s bytes (`forTransport`: see {@linkcode headBytes}). A
 * string `body` must be one {@linkcode outgoingText} returned.
 */
export function wholeResponseBytes(
  head: ResponseHead,
  body: Uint8Array | string | null,
  options: Omit<SerializeResponseOptions, "contentLength">,
  forTransport: boolean,
  shared = false,
): Uint8Array {
  const bytes = body ?? EMPTY;
  const sent = options.requestMethod !== "HEAD" && !isNullBodyStatus(head.status);
  // Head and body in one buffer: one allocation, one write.
  return produce(
    head,
    options,
    bytes.length,
    sent && bytes.length > 0 ? bytes : null,
    forTransport,
    shared,
  );
}

const EMPTY = new Uint8Array(0);

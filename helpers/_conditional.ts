/**
 * Validators, conditional requests (RFC 9110 §13) and byte ranges (§14) for
 * the file server.
 *
 * @module
 */

/** A weak entity tag from a file's size and modification time (and coding, per variant). */
export function weakEtag(size: number, mtimeMs: number, coding: string | null): string {
  const tag = `${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}`;
  return `W/"${coding === null ? tag : `${tag}-${coding}`}"`;
}

/** Whether an `If-None-Match` value matches `etag` (weak comparison, `*` matches). */
export function noneMatchHits(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  const opaque = (tag: string): string => tag.replace(/^W\//, "");
  const wanted = opaque(etag);
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === wanted);
}

/** Whether `If-Modified-Since` says the client's copy is current (unparsable dates never do). */
export function notModifiedSince(header: string, mtimeMs: number): boolean {
  const since = Date.parse(header);
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * Whether `If-Range` lets a range apply. An entity tag must match strongly,
 * and the file server's tags are weak, so one never does (the full file is
 * sent); a date must equal the `Last-Modified` sent.
 */
export function ifRangeHolds(header: string, mtimeMs: number): boolean {
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Math.floor(mtimeMs / 1000) * 1000;
}

/** A byte range, both ends inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range` header against a representation of `size` bytes: a
 * satisfiable single range, `"unsatisfiable"` (416), or `null` to ignore
 * the header and send everything (another unit, bad syntax, or several
 * ranges, which this server answers with the whole file rather than a
 * multipart body).
 */
export function parseRange(header: string, size: number): ByteRange | "unsatisfiable" | null {
  const match = /^bytes\s*=\s*(.*)$/i.exec(header.trim());
  if (match === null) return null;
  const specs = match[1].split(",").map((spec) => spec.trim()).filter((spec) => spec !== "");
  if (specs.length !== 1) return null;
  const parts = /^(\d*)-(\d*)$/.exec(specs[0]);
  if (parts === null || (parts[1] === "" && parts[2] === "")) return null;
  if (parts[1] === "") {
    const suffix = Number(parts[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(parts[1]);
  const last = parts[2] === "" ? Infinity : Number(parts[2]);
  if (last < start) return null; // invalid: ignored, as RFC 9110 §14.2 allows
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(last, size - 1) };
}

/**
 * A URL's template `Request`, on Deno. Deno's `new Request(url)` builds its
 * inner request as an object literal with accessors: each gets a hidden class
 * of its own, made in the old generation, so the young objects behind its
 * accessors survive every minor collection until a full one. A bare
 * `new Request(url)` loop then promotes a tenth of what it allocates and the
 * young generation grows to its maximum (`scripts/bench/request_footprint.ts`:
 * 153 MiB of RSS where 54 do). `new Request(template, { signal: null })` copies the
 * template's inner request as a plain object instead, parses no URL, and with
 * `signal: null` follows no signal: nothing of it outlives the exchange.
 *
 * A URL gets a template the second time it is seen among recent ones, so
 * URLs seen once cost one map entry; the map is emptied when full.
 *
 * @module
 */

/** Recent URLs: `null` once seen, then their template. Only on Deno (elsewhere a copy costs more). */
const TEMPLATES = "Deno" in globalThis ? new Map<string, Request | null>() : null;
/** Recent URLs kept at most: templates are small (~1 KiB with a short URL). */
const MAX_URLS = 256;
/** Longer URLs get no template: they are seldom repeated, and would make the map large. */
const MAX_URL_LENGTH = 512;

/**
 * The init that copies a template and follows none of its signal; the
 * runtime converts it into a dictionary of its own each time.
 */
export const FROM_TEMPLATE: RequestInit = { signal: null };

/**
 * The template `Request` for `url` if it was seen recently, else `url`
 * (always `url` off Deno). Build the request with `signal: null` in its init
 * when given a template. Throws as `new Request(url)` does on a bad URL.
 */
export function requestInput(url: string): string | Request {
  if (TEMPLATES === null || url.length > MAX_URL_LENGTH) return url;
  const template = TEMPLATES.get(url);
  if (template === undefined) {
    if (TEMPLATES.size >= MAX_URLS) TEMPLATES.clear();
    TEMPLATES.set(url, null);
    return url;
  }
  if (template !== null) return template;
  const made = new Request(url);
  TEMPLATES.set(url, made);
  return made;
}

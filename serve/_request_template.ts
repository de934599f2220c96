/**
 * A URL's template `Request`, on Deno. Deno's `new Request(url)` builds its
 * inner request as an object literal with accessors: each gets a hidden class
 * of its own, made in the old generation, so the young objects behind its
 * accessors survive every minor collection until a full one. A bare
 * `new Request(url)` loop then promotes a tenth of what it allocates and the
 * young generation grows to its maximum (`scripts/bench/request_footprint.ts`:
 * 153 MiB of RSS where 54 do). `new Request(template)` copies the
 * template's inner request as a plain object instead, and parses no URL:
 * nothing of it outlives the exchange.
 *
 * A copy follows the template's signal (a dependent signal, the dearest part
 * of a `Request`) unless the template has none. Deno's `request.signal` is
 * `null` when its signal field is, and a template's is set so (the field
 * found by its description, checked once at load), so copies are made with
 * no init. Without that field, a copy is made with `{ signal: null }`: an
 * init Deno converts member by member, and whose presence makes it append
 * the copied fields again one by one (2.7 µs more per copy, docs/benchmarks.md,
 * "serve()'s churn on Deno, twelfth round").
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

type Fields = Record<symbol, unknown>;

/**
 * Deno's own field of a `Request` that holds its signal, if it behaves as
 * this module expects (a symbol described `signalCache` whose `null` makes
 * `request.signal` `null`, and a copy of such a request has a signal of its
 * own that follows nothing), else `undefined`.
 */
export const SIGNAL_FIELD: symbol | undefined = TEMPLATES === null ? undefined : signalField();

function signalField(): symbol | undefined {
  const probe = new Request("http://localhost/");
  const field = Object.getOwnPropertySymbols(probe).find((key) =>
    key.description === "signalCache"
  );
  if (field === undefined) return undefined;
  (probe as unknown as Fields)[field] = null;
  if (probe.signal !== null) return undefined;
  const signal = new Request(probe).signal;
  return signal instanceof AbortSignal && !signal.aborted ? field : undefined;
}

/**
 * The init that copies a template and follows none of its signal: none if
 * the template has no signal (see the module notes), else `{ signal: null }`.
 */
export const FROM_TEMPLATE: RequestInit | undefined = SIGNAL_FIELD === undefined
  ? { signal: null }
  : undefined;

/**
 * The template `Request` for `url` if it was seen recently, else `url`
 * (always `url` off Deno). Build the request with {@linkcode FROM_TEMPLATE}
 * as its init when given a template (or with `signal: null` in an init of
 * its own). Throws as `new Request(url)` does on a bad URL.
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
  if (SIGNAL_FIELD !== undefined) (made as unknown as Fields)[SIGNAL_FIELD] = null;
  TEMPLATES.set(url, made);
  return made;
}

/**
 * A URL's template `Request`, on Deno and Bun. Deno's `new Request(url)` builds its
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
 * Bun copies a template's URL and fields natively, for less than parsing the
 * URL and appending each field, but a bare template's copy and then its
 * fields cost more than building it from the URL: there only a template with
 * the head's fields is copied (a new connection's first GET, which the
 * connection's kept head, `_head_template.ts`, cannot serve), with no init:
 * its signal is one nothing aborts, and `request.signal` is the exchange's
 * anyway (`_client_signal.ts`). Node's copies cost more than they save.
 *
 * A URL gets a template the second time it is seen among recent ones, so
 * URLs seen once cost one map entry; the map is emptied when full.
 *
 * @module
 */
import type { HeaderList } from "../httputil/headers.ts";
import { fieldsOf } from "../internal/header_fill.ts";

/**
 * A URL's templates: its own, and one with the fields of the URL's last GET
 * head once that head came twice running (see {@linkcode getInput}).
 */
class Entry {
  /** The fields of the URL's last GET head, as its `HeaderList` keeps them (three entries each). */
  fields: string[] | null = null;
  /** The template with `fields`, once they came twice running. */
  full: Request | null = null;
  constructor(readonly bare: Request) {}
}

/** Recent URLs: `null` once seen, then their templates. Not on Node (a copy costs more there). */
const TEMPLATES = "Deno" in globalThis || "Bun" in globalThis
  ? new Map<string, Entry | null>()
  : null;
/** Whether a bare template's copy costs less than a request built from its URL (Deno, not Bun). */
const BARE_COPIES = "Deno" in globalThis;
/** Recent URLs kept at most: templates are small (~1 KiB with a short URL). */
const MAX_URLS = 256;
/** Longer URLs get no template: they are seldom repeated, and would make the map large. */
const MAX_URL_LENGTH = 512;
/**
 * A head with more fields, or longer ones, gets no template with them: they
 * are kept (with the URL's, at most 256 such heads), and compared each time.
 */
const MAX_FIELDS = 32;
const MAX_FIELD_CHARS = 2048;

type Fields = Record<symbol, unknown>;

/**
 * Deno's own field of a `Request` that holds its signal, if it behaves as
 * this module expects (a symbol described `signalCache` whose `null` makes
 * `request.signal` `null`, and a copy of such a request has a signal of its
 * own that follows nothing), else `undefined`.
 */
export const SIGNAL_FIELD: symbol | undefined = BARE_COPIES ? signalField() : undefined;

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
 * the template has no signal, or on Bun (see the module notes), else
 * `{ signal: null }`.
 */
export const FROM_TEMPLATE: RequestInit | undefined = BARE_COPIES && SIGNAL_FIELD === undefined
  ? { signal: null }
  : undefined;

/**
 * The template `Request` for `url` if it was seen recently, else `url`
 * (always `url` off Deno). Build the request with {@linkcode FROM_TEMPLATE}
 * as its init when given a template (or with `signal: null` in an init of
 * its own). Throws as `new Request(url)` does on a bad URL.
 */
export function requestInput(url: string): string | Request {
  return BARE_COPIES ? entryOf(url)?.bare ?? url : url;
}

/**
 * {@linkcode requestInput} for a GET without a body whose fields are
 * `headers`: the template that has these fields too if the URL's last GET
 * head had the same ones (see {@linkcode hasFields}); a copy of it made
 * with {@linkcode FROM_TEMPLATE} is the request, no field appended. A head
 * whose fields differ from the last one's is remembered in their stead (on
 * Bun, `url` then: see the module notes).
 */
export function getInput(url: string, headers: HeaderList): string | Request {
  const entry = entryOf(url);
  if (entry === null) return url;
  const fields = entry.fields;
  if (fields !== null && sameFields(headers, fields)) {
    return entry.full ??= withFields(entry.bare, headers);
  }
  entry.full = null;
  entry.fields = fieldList(headers);
  return BARE_COPIES ? entry.bare : url;
}

/**
 * The templates that have their head's fields. Not a mark on the template
 * itself: Bun copies a `Request` with a property of its own about 2.3×
 * slower (714 against 306 ns).
 */
const WITH_FIELDS = new WeakSet<Request>();

/** Whether `input` (from {@linkcode getInput}) has the head's fields: none to append. */
export function hasFields(input: string | Request): boolean {
  return typeof input !== "string" && WITH_FIELDS.has(input);
}

function entryOf(url: string): Entry | null {
  if (TEMPLATES === null || url.length > MAX_URL_LENGTH) return null;
  const entry = TEMPLATES.get(url);
  if (entry === undefined) {
    if (TEMPLATES.size >= MAX_URLS) TEMPLATES.clear();
    TEMPLATES.set(url, null);
    return null;
  }
  if (entry !== null) return entry;
  const made = new Entry(template(url));
  TEMPLATES.set(url, made);
  return made;
}

/** A template of `input` (a URL, or a template to copy), with no signal where it can have none. */
function template(input: string | Request): Request {
  const made = new Request(input, FROM_TEMPLATE);
  if (SIGNAL_FIELD !== undefined) (made as unknown as Fields)[SIGNAL_FIELD] = null;
  return made;
}

function withFields(bare: Request, headers: HeaderList): Request {
  const made = template(bare);
  appendFields(headers, made.headers);
  WITH_FIELDS.add(made);
  return made;
}

/**
 * Appends the fields of a parsed head to a `Request`'s `headers`, each by its
 * lower-case name: the one the parser keeps for every client's repeated names
 * (`httputil/_head_strings.ts`). The runtime lowers a name anyway (RFC 9110
 * §5.1: names are case-insensitive); given it lower already, undici's
 * `toLowerCase` returns it as it is, and its `Map` finds the key's hash in the
 * string, where a freshly lowered one is hashed and internalized per field
 * (Node 26 under churn: three `Runtime_InternalizeString` calls per request).
 */
export function appendFields(headers: HeaderList, target: Headers): void {
  const fields = fieldsOf(headers);
  for (let i = 0; i < fields.length; i += 3) target.append(fields[i + 1], fields[i + 2]);
}

/** A copy of the fields of `headers` as it keeps them, or `null` if too many or too long to keep. */
function fieldList(headers: HeaderList): string[] | null {
  const fields = fieldsOf(headers);
  if (fields.length > MAX_FIELDS * 3) return null;
  let chars = 0;
  for (let i = 0; i < fields.length; i += 3) chars += fields[i].length + fields[i + 2].length;
  return chars > MAX_FIELD_CHARS ? null : fields.slice();
}

/** Whether `headers` has the fields `kept` (from {@linkcode fieldList}): names as given, values, order. */
function sameFields(headers: HeaderList, kept: readonly string[]): boolean {
  const fields = fieldsOf(headers);
  if (fields.length !== kept.length) return false;
  for (let i = 0; i < fields.length; i += 3) {
    if (fields[i] !== kept[i] || fields[i + 2] !== kept[i + 2]) return false;
  }
  return true;
}

/**
 * An ordered, case-insensitive list of HTTP header fields.
 *
 * @module
 */

import { InvalidHeaderError } from "./errors.ts";
import { FIELD_VALUE, HTAB, isTokenString, SP } from "./_chars.ts";
import { registerTrusted } from "./_parse_fields.ts";
import { valueOf } from "../internal/header_fill.ts";

/**
 * Whether `s` is an HTTP token (RFC 9110 §5.6.2), the syntax of a field name
 * or method: one or more of ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``.
 *
 * @example
 * ```ts
 * import { isToken } from "@hussar/core/httputil";
 * console.log(isToken("Content-Type"), isToken("bad name")); // true false
 * ```
 */
export function isToken(s: string): boolean {
  return isTokenString(s);
}

/**
 * Whether `s` is a valid field value (RFC 9110 §5.5): only VCHAR, obs-text
 * (U+0080-U+00FF, one byte each), SP and HTAB, never CR, LF, NUL or another
 * control, and no leading or trailing SP/HTAB (that whitespace is not part of
 * a value). The empty string is valid. Characters above U+00FF are rejected
 * because a field value is a byte string.
 *
 * @example
 * ```ts
 * import { isFieldValue } from "@hussar/core/httputil";
 * console.log(isFieldValue("text/plain; charset=utf-8")); // true
 * console.log(isFieldValue("a\r\nSet-Cookie: x=1")); // false
 * ```
 */
export function isFieldValue(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] === 0) return false;
  }
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(n - 1);
  return first !== SP && first !== HTAB && last !== SP && last !== HTAB;
}

/** Strips the OWS around a value, as a recipient would (RFC 9110 §5.5). */
function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === SP || value.charCodeAt(start) === HTAB)) {
    start++;
  }
  while (end > start && (value.charCodeAt(end - 1) === SP || value.charCodeAt(end - 1) === HTAB)) {
    end--;
  }
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function validated(name: string, value: string): string {
  if (!isTokenString(name)) throw new InvalidHeaderError(name);
  const v = stripOws(value);
  if (!isFieldValue(v)) throw new InvalidHeaderError(name, value);
  return v;
}

/** The fields of a list that has none: shared until its first field, never added to. */
const NO_FIELDS: string[] = [];

/**
 * An ordered multimap of header fields. Lookups ignore case; iteration yields
 * every field as `[name, value]` in insertion order with the name's original
 * case, so a message can be re-serialised as it was received.
 *
 * `append` and `set` validate: a name must be a token and a value a valid
 * field value once its leading/trailing SP/HTAB are stripped, otherwise
 * {@linkcode InvalidHeaderError} is thrown. Values are byte strings (one char
 * per byte, U+0000-U+00FF).
 *
 * `get` joins repeated fields with ", " as Fetch does, except `set-cookie`:
 * its values may contain commas and cannot be joined (RFC 9110 §5.3), so
 * `get("set-cookie")` returns the first one; use `getAll` for all of them.
 *
 * @example
 * ```ts
 * import { HeaderList } from "@hussar/core/httputil";
 * const headers = new HeaderList([["Accept", "text/html"], ["X-Id", "1"]]);
 * headers.append("accept", "*\/*");
 * console.log(headers.get("ACCEPT")); // "text/html, *\/*"
 * console.log([...headers]); // [["Accept","text/html"],["X-Id","1"],["accept","*\/*"]]
 * ```
 */
export class HeaderList implements Iterable<[string, string]> {
  /**
   * The fields, three entries each: the name as given, its lower case, the
   * value (one list, not three: a parsed request's headers make one).
   */
  #fields: string[] = NO_FIELDS;
  /** `#fields` is not this list's own (the shared empty one, or a head's kept by the parser): copied before a change. */
  #borrowed = true;

  static {
    // The parser adds fields it has already validated byte by byte; this
    // hands it a non-public way in, so the public API can always validate.
    registerTrusted(
      (list, name, lower, value) => {
        list.#own().push(name, lower, value);
      },
      (list, fields, borrowed) => {
        list.#fields = fields;
        list.#borrowed = borrowed;
      },
      (list) => list.#borrowed && list.#fields.length > 0 ? list.#fields : null,
      (list) => list.#fields,
    );
  }

  /** Creates a list, optionally filled (and validated) from pairs or a record. */
  constructor(init?: Iterable<readonly [string, string]> | Record<string, string>) {
    if (init === undefined) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) {
        this.append(name, value);
      }
    } else {
      for (const name of Object.keys(init)) this.append(name, init[name]);
    }
  }

  /** Number of fields (a repeated name counts once per field). */
  get size(): number {
    return this.#fields.length / 3;
  }

  /** Adds a field after the existing ones, keeping any of the same name. */
  append(name: string, value: string): void {
    const v = validated(name, value);
    this.#own().push(name, name.toLowerCase(), v);
  }

  /**
   * Replaces every field named `name` by one field: it takes the place of the
   * first of them (or goes last when there was none).
   */
  set(name: string, value: string): void {
    const v = validated(name, value);
    const lower = name.toLowerCase();
    const fields = this.#fields;
    let at = 1;
    while (at < fields.length && fields[at] !== lower) at += 3;
    if (at >= fields.length) {
      this.#own().push(name, lower, v);
      return;
    }
    const own = this.#own();
    own[at - 1] = name;
    own[at + 1] = v;
    this.#remove(lower, at + 2);
  }

  /**
   * Values of `name` joined with ", ", or `null` when absent; for
   * `set-cookie`, only the first value (see the class notes).
   */
  get(name: string): string | null {
    return valueOf(this.#fields, name.toLowerCase());
  }

  /** Every value of `name`, in order (empty when absent). */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    const fields = this.#fields;
    for (let i = 1; i < fields.length; i += 3) {
      if (fields[i] === lower) out.push(fields[i + 1]);
    }
    return out;
  }

  /** Whether a field named `name` is present. */
  has(name: string): boolean {
    const lower = name.toLowerCase();
    const fields = this.#fields;
    for (let i = 1; i < fields.length; i += 3) if (fields[i] === lower) return true;
    return false;
  }

  /** Removes every field named `name`; returns whether there was one. */
  delete(name: string): boolean {
    return this.#remove(name.toLowerCase(), 0);
  }

  /** `[name, value]` for each field, in insertion order, names as given. */
  *entries(): IterableIterator<[string, string]> {
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i += 3) yield [fields[i], fields[i + 2]];
  }

  /**
   * Calls `callback(value, name)` for each field, in insertion order, names
   * as given (as `Headers.forEach` does, with `thisArg` as its `this`):
   * no iterator, nor a pair per field.
   */
  forEach<T = undefined>(
    callback: (this: T, value: string, name: string) => void,
    thisArg?: T,
  ): void {
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i += 3) {
      callback.call(thisArg as T, fields[i + 2], fields[i]);
    }
  }

  /** Same as {@linkcode HeaderList.entries}. */
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** The fields, this list's own to change (see `#borrowed`). */
  #own(): string[] {
    if (!this.#borrowed) return this.#fields;
    this.#borrowed = false;
    return this.#fields = this.#fields.slice();
  }

  /** Removes the fields named `lower` from the field at `from` on (a multiple of 3). */
  #remove(lower: string, from: number): boolean {
    const fields = this.#own();
    let kept = from;
    for (let i = from; i < fields.length; i += 3) {
      if (fields[i + 1] === lower) continue;
      if (kept !== i) {
        fields[kept] = fields[i];
        fields[kept + 1] = fields[i + 1];
        fields[kept + 2] = fields[i + 2];
      }
      kept += 3;
    }
    if (kept === fields.length) return false;
    fields.length = kept;
    return true;
  }
}

/**
 * The non-public way to give a `HeaderList` fields already validated, for
 * the engines that validated them (the HTTP/1.1 parser, HTTP/2's reuse of
 * the last header block): no name, value or case looked at again. The list's
 * static block registers its private fill here, so the public API can always
 * validate.
 *
 * @module
 */

import type { HeaderList } from "../httputil/headers.ts";

/** HeaderList's private fill: takes `fields` as its own, or borrows them. */
export type TrustedFill = (list: HeaderList, fields: string[], borrowed: boolean) => void;

let trustedFill: TrustedFill | undefined;

/** HeaderList's private look at lent fields (see {@linkcode lentFields}). */
export type LentFields = (list: HeaderList) => readonly string[] | null;

let lent: LentFields | undefined;

/** HeaderList's private read of its fields (see {@linkcode fieldsOf}). */
export type ReadFields = (list: HeaderList) => readonly string[];

let read: ReadFields | undefined;

/** Called once by HeaderList's static block to hand over its private fill, look and read. */
export function registerFill(fill: TrustedFill, look: LentFields, readFields: ReadFields): void {
  trustedFill = fill;
  lent = look;
  read = readFields;
}

/**
 * Gives an empty `list` validated fields, three entries each: name, its lower
 * case, value. The list is taken, not copied; if `borrowed` (others read it
 * too, so it must never change), it is copied before any change.
 */
export function fillTrusted(list: HeaderList, fields: string[], borrowed = false): void {
  trustedFill!(list, fields, borrowed);
}

/**
 * The fields `list` borrows from a kept head (a connection's repeated head,
 * `httputil/_repeated_head.ts`), or `null` if it has none or its own. Such
 * a list never changes (a change copies them first), so the same list means
 * the same fields: callers may key what they derive from the fields on it.
 */
export function lentFields(list: HeaderList): readonly string[] | null {
  return lent!(list);
}

/**
 * The fields of `list` as it keeps them, three entries each: name as given,
 * its lower case, value. Read only: the list's own array, not a copy.
 */
export function fieldsOf(list: HeaderList): readonly string[] {
  return read!(list);
}

/**
 * The value `HeaderList.get` gives (values joined with ", ", the first
 * `set-cookie` alone, `null` when absent) for `lower`, a name in lower case,
 * from `fields` as the list keeps them.
 */
export function valueOf(fields: readonly string[], lower: string): string | null {
  let result: string | null = null;
  for (let i = 1; i < fields.length; i += 3) {
    if (fields[i] !== lower) continue;
    if (result === null) {
      result = fields[i + 1];
      if (lower === "set-cookie") return result;
    } else {
      result += ", " + fields[i + 1];
    }
  }
  return result;
}

/**
 * `list.get(lower)` for a name already in lower case (a constant: `"host"`),
 * without lowering it again: V8 makes a new string for every `toLowerCase`,
 * changed or not.
 */
export function fieldValue(list: HeaderList, lower: string): string | null {
  return valueOf(read!(list), lower);
}

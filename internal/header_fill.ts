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

/** Called once by HeaderList's static block to hand over its private fill. */
export function registerFill(fill: TrustedFill): void {
  trustedFill = fill;
}

/**
 * Gives an empty `list` validated fields, three entries each: name, its lower
 * case, value. The list is taken, not copied; if `borrowed` (others read it
 * too, so it must never change), it is copied before any change.
 */
export function fillTrusted(list: HeaderList, fields: string[], borrowed = false): void {
  trustedFill!(list, fields, borrowed);
}

/**
 * A body stream whose first chunks are already at hand (`serve()` read them
 * to learn whether the body is complete at once). A writer that knows this
 * key takes them synchronously and writes them with the response head, as
 * one gathered write, instead of one read, one turn and one write each;
 * the stream then goes on after them. Anything else just reads the stream.
 *
 * @module
 */

/** The key under which such a stream offers `() => Uint8Array[]`. */
export const TAKE_GATHERED: unique symbol = Symbol("hussar.takeGathered");

/** A body that may offer its first chunks at hand. */
export interface MaybeGathered {
  [TAKE_GATHERED]?: () => Uint8Array[];
}

/** The chunks at hand at the front of `body`, handed over once (later calls: none). */
export function takeGathered(body: object): Uint8Array[] | null {
  return (body as MaybeGathered)[TAKE_GATHERED]?.() ?? null;
}

/**
 * Keys of the `BodyReader` and request members the engine (`server.ts`)
 * uses and the public API does not show.
 *
 * @module
 */

/** `BodyReader`: `prefetch()` without a generator (it never waits). */
export const PREFETCH: unique symbol = Symbol("hussar.prefetch");
/** `Incoming` (a request the engine read): its body's reader if made, without making one. */
export const MADE_BODY: unique symbol = Symbol("hussar.madeBody");

/**
 * Keys of the `BodyReader` members the engine (`server.ts`) uses and the
 * public API does not show.
 *
 * @module
 */

/** `BodyReader`: `prefetch()` without a generator (it never waits). */
export const PREFETCH: unique symbol = Symbol("hussar.prefetch");

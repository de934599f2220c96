/**
 * Keys of what the worker pool tells a main-thread `Shuttle` about its
 * worker's side (messages from the worker, or the worker's loss). Symbol keys
 * keep them out of the public types.
 *
 * @module
 */

/** A chunk of the request body arrived, or its end (`null`). */
export const BODY: unique symbol = Symbol("hussar.shuttle.body");
/** The request body failed on the worker's side. */
export const BODY_ERROR: unique symbol = Symbol("hussar.shuttle.bodyError");
/** The worker took the last chunk: one more may be sent. */
export const CONTINUE: unique symbol = Symbol("hussar.shuttle.continue");
/** The worker wrote the response (or failed to). */
export const DONE: unique symbol = Symbol("hussar.shuttle.done");
/** The client (or the worker) is gone. */
export const GONE: unique symbol = Symbol("hussar.shuttle.gone");

/**
 * Keys of the `Connection` members a protocol engine uses to wait for input
 * in its own frame, without the generator a `yield* conn.read()` makes each
 * time (the HTTP/1.1 engine's idle wait between two requests), and to send
 * a last response at once. Symbol keys keep them out of the public types.
 *
 * @module
 */

/**
 * `Connection`: asks for a wake-back when input comes and marks the running
 * thread parked on the connection; the thread yields next, and once resumed
 * (or killed) calls `UNPARK`, then takes what came with `readNow()`. With
 * `true` the thread reads a request body: a chunk resumes it in the
 * microtask checkpoint of the callback that brought it (a Promise reaction,
 * a socket callback), not in the scheduler's next host task.
 */
export const PARK_INPUT: unique symbol = Symbol("hussar.parkInput");
/** `Connection`: the thread parked with `PARK_INPUT` resumed (or is being killed). */
export const UNPARK: unique symbol = Symbol("hussar.unpark");
/**
 * `Connection`: hands the corked output to the transport now rather than at
 * the end of the turn. For a response after which the connection closes
 * (nothing more joins it), or output above the high-water mark (a writer
 * would wait for it): once the transport has taken it all, nobody needs to
 * park until it has.
 */
export const FLUSH_NOW: unique symbol = Symbol("hussar.flushNow");
/** `Connection`: a Promise that settles once a reader has news (bytes, the end, a failure, a deadline). */
export const WAIT_INPUT: unique symbol = Symbol("hussar.waitInput");
/**
 * `Connection`: `WAIT_INPUT` without its Promise: calls the function given
 * once, at the next news, from inside the connection's own call (it must
 * defer its work, e.g. by `queueMicrotask`). A reader that waits once per
 * chunk makes the function once, not a Promise, its resolvers and a
 * reaction per wait.
 */
export const ON_INPUT: unique symbol = Symbol("hussar.onInput");
/**
 * `Connection`: a Promise that settles once a writer has news (output left
 * under the high-water mark, a close, a failure, a deadline): `flushed()`
 * says which.
 */
export const WAIT_OUTPUT: unique symbol = Symbol("hussar.waitOutput");
/**
 * `Connection`: whether its transport only reads the buffers handed to it
 * (a direct sink, see `direct_io.ts`), so that a protocol engine may hand
 * it the same immutable bytes again; not so for a `WritableStream`, whose
 * consumer may keep, change or transfer them.
 */
export const SHARED_OUTPUT: unique symbol = Symbol("hussar.sharedOutput");

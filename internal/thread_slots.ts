/**
 * Keys of a `Thread`'s scheduling state, shared by the scheduler (which owns
 * it) and the core (whose connections set the wake filter of the thread that
 * parks on them). Symbol keys keep them out of the public types.
 *
 * @module
 */

/** The running generator (created lazily for generator functions). */
export const GENERATOR: unique symbol = Symbol("hussar.generator");
/** The generator function, until first resumed. */
export const START: unique symbol = Symbol("hussar.start");
/** While set, only signals passing it resume the thread. */
export const FILTER: unique symbol = Symbol("hussar.filter");
/** Signals set aside by the filter, re-queued when the thread next parks. */
export const STASH: unique symbol = Symbol("hussar.stash");
/** Set by `Scheduler.kill`: queued signals for the thread are discarded, not reported. */
export const KILLED: unique symbol = Symbol("hussar.killed");
/** Parked on a Promise that has not settled yet. */
export const AWAITING: unique symbol = Symbol("hussar.awaiting");
/** Resolves `Thread.finished`. */
export const ON_FINISHED: unique symbol = Symbol("hussar.onFinished");
/**
 * `Scheduler`: queues a signal pushed from a Promise reaction outside any
 * turn (the core's wake-back for bytes a Promise-based read brought): its
 * thread resumes in the same microtask checkpoint, as one whose awaited
 * Promise settled does, not on the next `setImmediate`. Its second argument,
 * `true` when pushed from a host task of its own (a socket callback), gives
 * the microtask ticks a fresh budget: the host loop has just run.
 */
export const PUSH_SETTLED: unique symbol = Symbol("hussar.pushSettled");
/**
 * `Scheduler`: calls a task in a later host task, the one the scheduler's
 * next tick runs in when a tick is asked for meanwhile (one `setImmediate`
 * for both), after that tick: threads whose Promises settled since (their
 * wake-backs deferred to the tick once the microtask ticks' budget ran out)
 * resume first. It runs no turn by itself, nor delays a Promise's wake-back.
 */
export const AFTER_TASK: unique symbol = Symbol("hussar.afterTask");

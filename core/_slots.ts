/**
 * Keys of the members the core's classes share with one another and with no
 * one else (`Hussar` ↔ `Connection` ↔ `Descriptor`). Symbol keys keep them
 * out of the public types and out of reach of a stray `conn._flush()`.
 *
 * @module
 */

/** `ConnectionOwner`: the connection has news for its parked thread. */
export const WAKE: unique symbol = Symbol("hussar.wake");
/** `ConnectionOwner`: the connection has corked output to flush at the end of the turn. */
export const DIRTY: unique symbol = Symbol("hussar.dirty");
/** `ConnectionOwner`: the connection reached "closed". */
export const CLOSED: unique symbol = Symbol("hussar.closed");
/** `ConnectionOwner`: a deadline call, forwarded to the descriptor. */
export const SET_DEADLINE: unique symbol = Symbol("hussar.setDeadline");
/** `ConnectionOwner`: see `SET_DEADLINE`. */
export const CLEAR_DEADLINE: unique symbol = Symbol("hussar.clearDeadline");

/** `ConnectionOwner`: the connection's watch for the peer's end is to start after this host task. */
export const WATCH_LATER: unique symbol = Symbol("hussar.watchLater");

/** `BodyOwner`: a connection's thread body ended (returned, threw or was killed). */
export const BODY_ENDED: unique symbol = Symbol("hussar.bodyEnded");

/**
 * `Connection`: sends the corked output (called by the core at the end of a
 * turn). The key a protocol engine uses to send a last response at once.
 */
export { FLUSH_NOW as FLUSH } from "../internal/connection_slots.ts";
/** `Connection`: a deadline passed; the thread gets a DeadlineError from its I/O. */
export const EXPIRE: unique symbol = Symbol("hussar.expire");
/** `Connection`: starts the read of a watch for the peer's end, if still watched (see `WATCH_LATER`). */
export const START_WATCH: unique symbol = Symbol("hussar.startWatch");
/**
 * `Connection`: the turn that turned the watch for the peer's end on is over:
 * whether it is still on (its read then starts after the host task, with
 * `START_WATCH`); if not, the request is dropped.
 */
export const WATCH_KEPT: unique symbol = Symbol("hussar.watchKept");
/** `Connection`: whom to wake, the parked thread or null if none is parked now. */
export const TAKE_WAKE: unique symbol = Symbol("hussar.takeWake");

/** `Connection`: its descriptor while the core keeps one (null once dropped). */
export const DESCRIPTOR: unique symbol = Symbol("hussar.descriptor");

/** `Descriptor`: its place in the core's deadline heap (-1: not in it). */
export const DEADLINE_AT: unique symbol = Symbol("hussar.deadlineAt");
/** `Descriptor`: when it comes up in that heap (at or before the deadline). */
export const DEADLINE_DUE: unique symbol = Symbol("hussar.deadlineDue");
/** `Descriptor`: the timer that ends the thread and connection after the grace period. */
export const GRACE_TIMER: unique symbol = Symbol("hussar.graceTimer");
/** `Descriptor`, a shuttle's entry: the one before it in the core's list (`core/_list.ts`; null: first, or not listed). */
export const PREV: unique symbol = Symbol("hussar.prev");
/** `Descriptor`, a shuttle's entry: the one after it (null: last, or not listed). */
export const NEXT: unique symbol = Symbol("hussar.next");

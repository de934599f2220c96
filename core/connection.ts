import { type AwayCall, getCurrentThread, type Signal, type Thread } from "../scheduler/mod.ts";
import { ConnectionClosedError, type DeadlineError } from "./errors.ts";
import { concatBytes, WRITE_ALONE_BYTES } from "../internal/bytes.ts";
import {
  type DirectSink,
  directSinkOf,
  type DirectSource,
  directSourceOf,
  ON_CHUNK,
  ON_READ_ERROR,
  ON_WRITE_ERROR,
  ON_WRITTEN,
  streamSink,
  streamSource,
} from "../internal/direct_io.ts";
import type { ConnectionInfo, Transport } from "./transport.ts";
import type { Descriptor } from "./descriptor.ts";
import {
  CLEAR_DEADLINE,
  CLOSED,
  DESCRIPTOR,
  DIRTY,
  EXPIRE,
  FLUSH,
  SET_DEADLINE,
  START_WATCH,
  TAKE_WAKE,
  WAKE,
  WATCH_KEPT,
  WATCH_LATER,
} from "./_slots.ts";
import { FILTER } from "../internal/thread_slots.ts";
import { context } from "../internal/context.ts";
import {
  ON_INPUT,
  PARK_INPUT,
  SHARED_OUTPUT,
  UNPARK,
  WAIT_INPUT,
  WAIT_OUTPUT,
} from "../internal/connection_slots.ts";

/**
 * Bytes an exchange sends (a streamed body's chunk) after which the next
 * request read from an `ownTask` source is served in its callback's task.
 */
const OWN_TASK_AFTER = 64 * 1024;

/** Where a connection is in its life. */
export type ConnectionState = "open" | "closing" | "closed";

/** What a connection needs from the core that owns it (its members are the core's internals). */
export interface ConnectionOwner {
  /**
   * @internal The connection has news (data, writability, close, deadline) for its parked
   * thread; `settled`: told from a Promise reaction outside any turn (see `PUSH_SETTLED`),
   * or, `ownTask`, from a host task of its own (a socket callback).
   */
  [WAKE](connection: Connection, settled: boolean, ownTask: boolean): void;
  /** @internal The connection has corked output to flush at the end of the turn. */
  [DIRTY](connection: Connection): void;
  /** @internal The connection reached "closed". */
  [CLOSED](connection: Connection): void;
  /** @internal Deadline calls are forwarded to the descriptor. */
  [SET_DEADLINE](connection: Connection, ms: number, reason: string): void;
  /** @internal See `SET_DEADLINE`. */
  [CLEAR_DEADLINE](connection: Connection): void;
  /**
   * @internal Call `[START_WATCH]()` once the host's current task is over (in a turn, only if
   * `[WATCH_KEPT]()` at its end says the watch is still on).
   */
  [WATCH_LATER](connection: Connection): void;
}

/**
 * One client connection as a thread sees it: reads that park the thread
 * until bytes arrive, corked writes with backpressure, put-back of unread
 * bytes, deadlines, and a close with a reason.
 *
 * Generator methods (`read`, `flush`, `drain`) are for threads (`yield*`);
 * `readAndWait` and `writeAndWait` are their Promise forms for async code.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     const bytes = yield* conn.read();
 *     if (bytes !== null) conn.write(bytes); // echo once
 *     yield* conn.drain();
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("ping");
 * console.log(await client.readText()); // ping (the server closes after)
 * await hussar.close();
 * ```
 */
export class Connection {
  /** Unique within its core, increasing. */
  readonly id: number;
  /** Facts about the peer. */
  readonly info: ConnectionInfo;
  /**
   * Whether the protocol may use the connection for another exchange. A
   * protocol handler clears it when either side asked to close.
   */
  keepAlive = true;
  /** A free-form label of what the connection is doing, for introspection ("headers", "body", ...). */
  phase = "new";
  /** Output bytes (corked plus in flight) above which `flush()` parks the writer. */
  readonly highWaterMark: number;

  readonly #owner: ConnectionOwner;
  /** The transport's input: its direct source, or its `ReadableStream` adapted. */
  readonly #source: DirectSource;
  /** The transport's output: its direct sink, or its `WritableStream` adapted. */
  readonly #sink: DirectSink;
  /** A write is pending (the next waits for it, collecting output meanwhile). */
  #writing = false;
  /** The pending write's bytes. */
  #sending = 0;
  /** close() was called; end the sink once all output is written. */
  #ending = false;
  // What an idle connection keeps is kept small (10,000 of them may wait): queues and
  // Promises are made when first needed and dropped once empty, and the read path and
  // the wake filter are methods, not closures per connection.
  /** The next input chunk; `#inbox` holds those after it (made when a second one waits). */
  #next: Uint8Array | null = null;
  #inbox: Uint8Array[] | null = null;
  #inboxBytes = 0;
  #readPending = false;
  #eof = false;
  /** While a response is owed, the peer's end of input means the peer left (see `watchPeerEnd`). */
  #peerEndAborts = false;
  /** The owner is to start the watch's read later (`[START_WATCH]`). */
  #watchAsked = false;
  #failure: ConnectionClosedError | null = null;
  #expired: DeadlineError | null = null;
  /** Corked output: one buffer as it is (a turn mostly writes one), several in a list; null: none. */
  #out: Uint8Array | Uint8Array[] | null = null;
  #outBytes = 0;
  #inFlight = 0;
  #bytesRead = 0;
  #bytesWritten = 0;
  /** `#bytesWritten` when the last chunk was read from a source of `ownTask` reads. */
  #writtenAtRead = 0;
  #state: ConnectionState = "open";
  #closeReason = "";
  #parked: Thread | null = null;
  /** The parked thread waits for output to leave (`flush`, `drain`), not for input. */
  #parkedOnOutput = false;
  /** The parked thread reads a request body on its way (`[PARK_INPUT](true)`). */
  #parkedOnBody = false;
  #wakeQueued = false;
  /** The last wake-back signal pushed, reused for the next one to the same thread. */
  #wakeSignal: Signal | null = null;
  /** Promise waiters (`readAndWait`, `writeAndWait`), made on first use. */
  #waiters: (() => void)[] | null = null;
  /**
   * The first `whenWritten()` callback waiting (most often the only one: an
   * exchange's), with the `bytesWritten` it waits for: no object per wait.
   * Set only while `#writtenWaiters` is empty, so it is always the earliest.
   */
  #writtenFirst: ((error?: ConnectionClosedError) => void) | null = null;
  #writtenFirstAt = 0;
  /** The `whenWritten()` callbacks after it, by the `bytesWritten` each waits for (increasing). */
  #writtenWaiters: { at: number; callback: (error?: ConnectionClosedError) => void }[] | null =
    null;
  /** `onClose()` listeners, made on first use. */
  #closeListeners: (() => void)[] | null = null;
  /** `closed`, made when first asked for. */
  #closedPromise: Promise<void> | null = null;
  #resolveClosed: (() => void) | null = null;
  /** @internal The core's record of this connection (its owner's lookup, without a Map). */
  [DESCRIPTOR]: Descriptor | null = null;
  /** @internal The transport only reads what it is given (see `SHARED_OUTPUT`). */
  readonly [SHARED_OUTPUT]: boolean;

  /** The filter of a thread parked on a connection: only that connection's wake-back resumes it. */
  static #isWake(signal: Signal): boolean {
    const conn = signal.connection;
    return signal.kind === "wakeback" && conn instanceof Connection &&
      conn.#parked === signal.target;
  }

  /** @internal Connections are made by `Hussar.addConnection`. */
  constructor(owner: ConnectionOwner, id: number, transport: Transport, highWaterMark: number) {
    this.#owner = owner;
    this.id = id;
    this.info = transport.info;
    this.highWaterMark = highWaterMark;
    this.#source = directSourceOf(transport) ?? streamSource(transport.readable);
    const direct = directSinkOf(transport);
    this.#sink = direct ?? streamSink(transport.writable);
    this[SHARED_OUTPUT] = direct !== null;
  }

  /** `"open"`, `"closing"` (flushing before close) or `"closed"`. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the connection closed ("" while open). */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Settles once the connection is closed, however that happened. */
  get closed(): Promise<void> {
    return this.#closedPromise ??= this.#state === "closed"
      ? Promise.resolve()
      : new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /**
   * Calls `listener` once, as the connection closes (at once if it is
   * closed), however that happens. Unlike `closed`, it can be taken back
   * with `offClose()`, so that listeners of exchanges done do not pile up
   * on a long kept-alive connection.
   */
  onClose(listener: () => void): void {
    if (this.#state === "closed") return listener();
    (this.#closeListeners ??= []).push(listener);
  }

  /** Takes back a listener given to `onClose()`. */
  offClose(listener: () => void): void {
    const listeners = this.#closeListeners;
    const at = listeners?.indexOf(listener) ?? -1;
    if (at === -1) return;
    if (listeners!.length === 1) this.#closeListeners = null;
    else listeners!.splice(at, 1);
  }

  /** Bytes received from the peer so far (put-back bytes count once). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes handed to the transport so far. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Bytes written but not yet handed over (corked) or not yet accepted (in flight). */
  get bufferedAmount(): number {
    return this.#outBytes + this.#inFlight;
  }

  /** Bytes received and not yet taken by `read()` (including put-back bytes). */
  get bufferedInput(): number {
    return this.#inboxBytes;
  }

  /** Whether the peer has ended its side (no more bytes will come). */
  get peerEnded(): boolean {
    return this.#eof;
  }

  /** `true` while the connection can still carry bytes out. */
  isAlive(): boolean {
    return this.#state === "open";
  }

  /**
   * The next chunk of bytes from the peer; parks the thread until one arrives.
   * Returns `null` once the peer has ended its side or the connection is
   * closed. Throws `DeadlineError` when a deadline passed, and
   * {@linkcode ConnectionClosedError} when the transport failed.
   */
  *read(): AwayCall<Uint8Array | null> {
    for (;;) {
      const chunk = this.#takeInput();
      if (chunk !== undefined) return chunk;
      this.requireWakeback();
      // Parked in this frame, not in a nested generator: one frame fewer per wait.
      this.#park(false);
      try {
        yield;
      } finally {
        this.#unpark();
      }
    }
  }

  /**
   * What `read()` would return at once, without a generator: the next
   * buffered chunk, or `null` once the input has ended; `undefined` when
   * `read()` would park. Throws as `read()` does.
   */
  readNow(): Uint8Array | null | undefined {
    return this.#takeInput();
  }

  /**
   * @internal `read()`'s wait, for a thread that parks in a frame of its own
   * (see `internal/connection_slots.ts`): it yields next, then calls `[UNPARK]()`.
   */
  [PARK_INPUT](body = false): void {
    this.requireWakeback();
    this.#park(false);
    this.#parkedOnBody = body;
  }

  /** @internal The thread parked by `[PARK_INPUT]()` resumed, or is being killed. */
  [UNPARK](): void {
    this.#unpark();
  }

  /** Promise form of {@linkcode Connection.read} for code outside threads. */
  async readAndWait(): Promise<Uint8Array | null> {
    for (;;) {
      const chunk = this.#takeInput();
      if (chunk !== undefined) return chunk;
      await this[WAIT_INPUT]();
    }
  }

  /** @internal `readAndWait()`'s wait alone, for a reader that takes the input itself (`readNow()`). */
  [WAIT_INPUT](): Promise<void> {
    this.requireWakeback();
    return this.#news();
  }

  /** @internal Settles once output left under the high-water mark, or on a close or deadline. */
  [WAIT_OUTPUT](): Promise<void> {
    return this.#news();
  }

  /** @internal `WAIT_INPUT` calling `waiter` (which defers itself) instead of settling a Promise. */
  [ON_INPUT](waiter: () => void): void {
    this.requireWakeback();
    this.#await(waiter);
  }

  /** Settles at the next `#notify`. */
  #news(): Promise<void> {
    return new Promise<void>((resolve) => this.#await(resolve));
  }

  /**
   * Calls `waiter` at the next `#notify`. The list is made with its first
   * waiter: one pushed onto `[]` grows it to 16 slots, a 144-byte store per
   * wait of a body's reader or a stream's pump (one per chunk).
   */
  #await(waiter: () => void): void {
    const waiters = this.#waiters;
    if (waiters === null) this.#waiters = [waiter];
    else waiters.push(waiter);
  }

  /**
   * Puts bytes back in front of the input, to be returned by the next
   * `read()` (a parser read past the end of a message).
   */
  unread(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.#next !== null) (this.#inbox ??= []).unshift(this.#next);
    this.#next = bytes;
    this.#inboxBytes += bytes.length;
  }

  /**
   * Asks for a wake-back when there is news for the parked thread: starts a
   * read from the transport unless one is pending or input is buffered.
   */
  requireWakeback(): void {
    if (this.#readPending || this.#eof || this.#failure !== null || this.#state === "closed") {
      return;
    }
    if (this.#next !== null) return;
    this.#readPending = true;
    this.#source.read(this);
  }

  /**
   * While on, the connection keeps a read pending (buffering at most
   * `highWaterMark` bytes ahead of its reader) so that it sees the peer's
   * end of input at once, and aborts itself when it comes: the peer left.
   * A protocol turns it on while it owes a response, when an end of input
   * can only mean the client gave up (as Deno.serve, Bun.serve, node:http
   * and Go read a half-close), and off once the whole response is queued.
   *
   * The read starts once the host's current task is over (and after the
   * scheduler's tick in the task that starts it, which may answer the
   * exchange), and only if the watch is still on: an exchange answered
   * meanwhile (most are) makes no read that its close would then cancel (on
   * Deno, a rejected op and an error object per connection).
   */
  watchPeerEnd(on: boolean): void {
    this.#peerEndAborts = on;
    if (!on || this.#state !== "open") return;
    if (this.#eof) return this.abort("client closed the connection");
    if (this.#watchAsked || this.#readPending) return;
    this.#watchAsked = true;
    this.#owner[WATCH_LATER](this);
  }

  /** @internal The turn that turned the watch on is over: whether it is still on. */
  [WATCH_KEPT](): boolean {
    if (this.#peerEndAborts) return true;
    this.#watchAsked = false;
    return false;
  }

  /** @internal The host task that turned the watch on is over: read ahead if still watched. */
  [START_WATCH](): void {
    this.#watchAsked = false;
    if (this.#peerEndAborts) this.#readAhead();
  }

  /** Starts a read while watched, unless one is pending or enough input is buffered. */
  #readAhead(): void {
    if (
      this.#readPending || this.#eof || this.#state !== "open" ||
      this.#inboxBytes >= this.highWaterMark
    ) return;
    this.#readPending = true;
    this.#source.read(this);
  }

  /**
   * Queues bytes for the peer. Writes made in one scheduler turn are sent
   * together at the end of the turn (corking). Throws
   * {@linkcode ConnectionClosedError} if the connection is closing or closed.
   * Use `yield* flush()` to respect backpressure.
   */
  write(bytes: Uint8Array): void {
    if (this.#state !== "open") {
      throw this.#failure ?? new ConnectionClosedError(this.#closeReason || "closing");
    }
    if (bytes.length === 0) return;
    const out = this.#out;
    if (out === null) {
      this.#owner[DIRTY](this);
      this.#out = bytes;
    } else if (Array.isArray(out)) {
      out.push(bytes);
    } else {
      this.#out = [out, bytes];
    }
    this.#outBytes += bytes.length;
  }

  /** Parks while more than `highWaterMark` bytes are buffered or in flight (backpressure). */
  flush(): AwayCall<void> {
    return this.#bufferedAtMost(this.highWaterMark);
  }

  /**
   * Whether `flush()` would return at once: `true` (or what `flush()` would
   * throw) when no more than `highWaterMark` bytes are buffered. Spares the
   * generator when there is no backpressure.
   */
  flushed(): boolean {
    if (this.bufferedAmount > this.highWaterMark) return false;
    this.#throwIfBroken();
    return true;
  }

  /** Parks until every byte written so far has been accepted by the transport. */
  drain(): AwayCall<void> {
    return this.#bufferedAtMost(0);
  }

  /**
   * Parks while more than `limit` bytes are buffered or in flight; throws
   * once broken. Corked output to wait for is sent now, not at the turn's
   * end: a transport that takes it at once (Node's, when the kernel does)
   * spares the park, the wake-back and the turn.
   */
  *#bufferedAtMost(limit: number): AwayCall<void> {
    if (this.bufferedAmount > limit && this.#outBytes > 0) this.#flushOutput();
    while (this.bufferedAmount > limit) {
      this.#throwIfBroken();
      this.#park(true);
      try {
        yield;
      } finally {
        this.#unpark();
      }
    }
    this.#throwIfBroken();
  }

  /**
   * Calls `callback` once every byte written so far has been handed to the
   * transport (at once if nothing is buffered), or with the connection's
   * error if it closes first. Unlike `drain()`, nobody parks: a protocol
   * goes on with its next exchange while the last one's bytes leave.
   */
  whenWritten(callback: (error?: ConnectionClosedError) => void): void {
    if (this.#state === "closed") {
      callback(this.#closedError());
    } else if (this.bufferedAmount === 0) {
      callback();
    } else if (this.#writtenFirst === null && this.#writtenWaiters === null) {
      this.#writtenFirst = callback;
      this.#writtenFirstAt = this.#bytesWritten + this.bufferedAmount;
    } else {
      (this.#writtenWaiters ??= []).push({
        at: this.#bytesWritten + this.bufferedAmount,
        callback,
      });
    }
  }

  /** Promise form of `write()` followed by `drain()`. */
  async writeAndWait(bytes: Uint8Array): Promise<void> {
    this.write(bytes);
    while (this.bufferedAmount > 0) {
      this.#throwIfBroken();
      await this.#news();
    }
    this.#throwIfBroken();
  }

  /**
   * Sets (or moves) the deadline of this connection's descriptor. A thread
   * that got a `DeadlineError` and sets a new deadline has handled it: its
   * I/O works again and the grace period is cancelled.
   */
  setDeadline(ms: number, reason: string): void {
    this.#expired = null;
    this.#owner[SET_DEADLINE](this, ms, reason);
  }

  /** Removes the descriptor's deadline (and, like `setDeadline`, clears a passed one). */
  clearDeadline(): void {
    this.#expired = null;
    this.#owner[CLEAR_DEADLINE](this);
  }

  /**
   * Says the peer has sent all it will (its last request asked to close and
   * was read whole): input reads as ended from now on, and a close that
   * follows ends the socket as soon as the output is out, with neither the
   * half-close nor the lingering close that input left unread calls for
   * (RFC 9112 §9.6). Input already received and not read keeps them: the
   * peer sent more than it said.
   */
  finishInput(): void {
    if (this.#state !== "open" || this.#eof || this.#next !== null) return;
    this.#eof = true;
    this.#source.finish?.();
  }

  /**
   * Closes gracefully: stops reading, sends what is queued, then ends the
   * stream. Idempotent; the first reason wins.
   */
  close(reason = "closed by server"): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#closeReason = reason;
    this.keepAlive = false;
    this.#flushOutput();
    this.#settleOutputThenClose();
    this.#notify();
  }

  /** Closes at once, dropping queued output (a failed or hostile peer). */
  abort(reason: string): void {
    if (this.#state === "closed") return;
    if (this.#state === "open") this.#closeReason = reason;
    this.#out = null;
    this.#outBytes = 0;
    try {
      this.#sink.abort(new ConnectionClosedError(reason));
    } catch {
      // Already gone: nothing more to drop.
    }
    this.#finishClose();
  }

  /**
   * @internal Sends the corked output: called by the core at the end of a
   * turn, and by a protocol engine for a last response (`FLUSH_NOW` in
   * `internal/connection_slots.ts`, the same key).
   */
  [FLUSH](): void {
    this.#flushOutput();
  }

  /** @internal A deadline passed: the thread gets a DeadlineError from its I/O. */
  [EXPIRE](error: DeadlineError): void {
    this.#expired ??= error;
    this.#notify();
  }

  /**
   * @internal The core asks what to push: the wake-back signal for the
   * parked thread, or null if none is parked now. One signal object per
   * connection and thread, reused: at most one is in flight (`#wakeQueued`).
   */
  [TAKE_WAKE](): Signal | null {
    const thread = this.#parked;
    if (thread === null) {
      this.#wakeQueued = false;
      return null;
    }
    let signal = this.#wakeSignal;
    if (signal === null || signal.target !== thread) {
      // `source` from the start: the scheduler sets it on every push, and a property added
      // later would cost the signal a property array besides its in-object fields.
      signal = this.#wakeSignal = {
        target: thread,
        kind: "wakeback",
        connection: this,
        source: null,
      };
    }
    return signal;
  }

  #takeInput(): Uint8Array | null | undefined {
    if (this.#expired !== null) throw this.#expired;
    const chunk = this.#next;
    if (chunk !== null) {
      const inbox = this.#inbox;
      if (inbox === null) {
        this.#next = null;
      } else {
        this.#next = inbox.shift()!;
        if (inbox.length === 0) this.#inbox = null;
      }
      this.#inboxBytes -= chunk.length;
      return chunk;
    }
    if (this.#failure !== null) throw this.#failure;
    if (this.#eof || this.#state !== "open") return null;
    if (this.#readPending) return undefined;
    // Bytes a push socket (Node, Bun) received while no read was pending: taken in this turn,
    // not by a read answered in a microtask and a wake-back a host tick later (one per chunk).
    const queued = this.#source.take?.();
    if (queued === undefined) return undefined;
    this.#bytesRead += queued.length;
    // As `[ON_CHUNK]` would have read ahead (watched) with the chunk still counted as buffered.
    if (this.#peerEndAborts && queued.length < this.highWaterMark) this.#readAhead();
    return queued;
  }

  /** Why the connection is closed, for those still waiting on it. */
  #closedError(): ConnectionClosedError {
    return this.#failure ?? new ConnectionClosedError(this.#closeReason);
  }

  #throwIfBroken(): void {
    if (this.#expired !== null) throw this.#expired;
    if (this.#failure !== null) throw this.#failure;
    if (this.#state === "closed" && this.bufferedAmount > 0) {
      throw new ConnectionClosedError(this.#closeReason);
    }
  }

  /**
   * Marks the current thread as parked on this connection, waiting for
   * output to leave (`onOutput`) or for input: its caller yields next.
   */
  #park(onOutput: boolean): void {
    const thread = getCurrentThread();
    this.#parked = thread;
    this.#parkedOnOutput = onOutput;
    thread[FILTER] = Connection.#isWake;
  }

  /** The parked thread resumed (or is being killed). */
  #unpark(): void {
    this.#parked = null;
    this.#parkedOnBody = false;
    this.#wakeQueued = false;
  }

  /**
   * Tells whoever waits (a parked thread, or Promise waiters) that something
   * changed; output that left (`input` false) is news only to a thread
   * waiting for it, not to one parked for input.
   */
  #notify(input = true, settled = false, ownTask = false): void {
    if (this.#parked !== null && !this.#wakeQueued && (input || this.#parkedOnOutput)) {
      // One wake-back in flight at most: it reaches the thread while it is still parked.
      this.#wakeQueued = true;
      this.#owner[WAKE](this, settled, ownTask);
    }
    const waiters = this.#waiters;
    if (waiters !== null) {
      this.#waiters = null;
      for (const resolve of waiters) resolve();
    }
  }

  /** @internal The transport's read brought bytes (`null`: the peer ended its side). */
  [ON_CHUNK](chunk: Uint8Array | null): void {
    this.#readPending = false;
    if (chunk === null) {
      this.#eof = true;
      if (this.#peerEndAborts && this.#state === "open") {
        this.abort("client closed the connection");
        return;
      }
    } else if (chunk.length > 0) {
      if (this.#next === null) this.#next = chunk;
      else (this.#inbox ??= []).push(chunk);
      this.#inboxBytes += chunk.length;
      this.#bytesRead += chunk.length;
      if (this.#peerEndAborts) this.#readAhead();
    } else {
      // An empty chunk is not news; keep reading.
      this.requireWakeback();
      return;
    }
    const source = this.#source;
    // A body's reader resumes in this callback's checkpoint, before the socket's next chunk
    // (Node reads several per poll): a host task later, that chunk would wait and pause the
    // socket. A request is served in the callback's own task only after an exchange that
    // streamed: a checkpoint of its own per request would cost every small one a scheduler run.
    const body = this.#parkedOnBody;
    let ownTask = false;
    if (source.ownTask === true) {
      ownTask = body || this.#bytesWritten - this.#writtenAtRead >= OWN_TASK_AFTER;
      this.#writtenAtRead = this.#bytesWritten;
    }
    this.#notify(true, ownTask || body || source.settles === true, ownTask);
  }

  /** @internal The transport's read failed. */
  [ON_READ_ERROR](error: unknown): void {
    this.#readPending = false;
    if (this.#state === "closed") return;
    this.#fail(`read failed: ${describe(error)}`, error);
  }

  /**
   * Writes the corked output to the sink. One write at a time: output queued
   * meanwhile leaves, batched, when it settles.
   */
  #flushOutput(): void {
    const sink = this.#sink;
    const send = sink.send !== undefined;
    while (!this.#writing && this.#outBytes > 0 && this.#state !== "closed") {
      const queued = this.#outBytes;
      const chunks = this.#takeOutput(send || sink.writev !== undefined);
      const size = queued - this.#outBytes;
      this.#inFlight += size;
      this.#sending = size;
      let pending: Promise<void> | void;
      try {
        if (send) {
          // Reports to `[ON_WRITTEN]` from the op's own reaction: no Promise of the sink's.
          this.#writing = true;
          sink.send!(chunks, this);
          return;
        }
        pending = !Array.isArray(chunks)
          ? sink.write(chunks)
          : chunks.length === 1
          ? sink.write(chunks[0])
          : sink.writev!(chunks);
      } catch (error) {
        this.#writing = false;
        this.#inFlight -= size;
        this.#fail(`write failed: ${describe(error)}`, error);
        return;
      }
      if (pending === undefined) {
        this.#written(size);
        continue;
      }
      this.#writing = true;
      pending.then(() => this[ON_WRITTEN](), (error) => this[ON_WRITE_ERROR](error));
    }
  }

  /**
   * @internal The pending write is done, told from a Promise reaction: a writer parked on
   * output resumes in this microtask checkpoint, not a host task later (one per chunk of a
   * stream on Deno, whose writes all settle).
   */
  [ON_WRITTEN](): void {
    this.#writing = false;
    this.#written(this.#sending, true);
    this.#flushOutput();
    if (this.#ending) this.#endOutput();
  }

  /** @internal The pending write failed. */
  [ON_WRITE_ERROR](error: unknown): void {
    this.#writing = false;
    this.#inFlight -= this.#sending;
    this.#fail(`write failed: ${describe(error)}`, error);
  }

  /**
   * The next write: every queued buffer as it is for a sink that gathers
   * (`writev`); else the small buffers at the front joined into one, or a
   * large one on its own (copying it to join it would cost more than a
   * write of its own).
   */
  #takeOutput(gathers: boolean): Uint8Array | Uint8Array[] {
    const out = this.#out!;
    if (!Array.isArray(out)) {
      this.#out = null;
      this.#outBytes -= out.length;
      return out;
    }
    let count = 0;
    let size = 0;
    if (gathers || out.length === 1) {
      count = out.length;
      size = this.#outBytes;
    } else if (out[0].length >= WRITE_ALONE_BYTES) {
      count = 1;
      size = out[0].length;
    } else {
      while (count < out.length && out[count].length < WRITE_ALONE_BYTES) {
        size += out[count++].length;
      }
    }
    this.#out = count === out.length ? null : out.slice(count);
    this.#outBytes -= size;
    const taken = count === out.length ? out : out.slice(0, count);
    return gathers || count === 1 ? taken : concatBytes(taken, size);
  }

  /** `size` bytes left; `settled`: called from the reaction to the write's Promise. */
  #written(size: number, settled = false): void {
    this.#inFlight -= size;
    this.#bytesWritten += size;
    const first = this.#writtenFirst;
    if (first !== null && this.#writtenFirstAt <= this.#bytesWritten) {
      this.#writtenFirst = null;
      first();
    }
    const waiters = this.#writtenWaiters;
    if (waiters !== null) {
      while (waiters.length > 0 && waiters[0].at <= this.#bytesWritten) waiters.shift()!.callback();
      if (waiters.length === 0) this.#writtenWaiters = null;
    }
    if (this.#inFlight <= this.highWaterMark) this.#notify(false, settled);
  }

  /** Ends the sink once nothing is left to write (close() already flushed). */
  #endOutput(): void {
    if (this.#writing || this.#outBytes > 0 || this.#state === "closed") return;
    this.#ending = false;
    let ended: Promise<void> | void;
    try {
      ended = this.#sink.end();
    } catch (error) {
      this.#fail(`close failed: ${describe(error)}`, error);
      return;
    }
    // Ended at once outside a turn (the last write's reaction, as on Deno): closed now, not a
    // reaction later. In a turn, the thread that closed ends first (it needs no grace timer).
    if (ended === undefined && context.thread === null) return this.#finishClose();
    Promise.resolve(ended).then(
      () => this.#finishClose(),
      (error) => {
        if (this.#state !== "closed") this.#fail(`close failed: ${describe(error)}`, error);
      },
    );
  }

  #settleOutputThenClose(): void {
    this.#ending = true;
    this.#endOutput();
  }

  #fail(reason: string, cause: unknown): void {
    if (this.#state === "closed") return;
    this.#failure = new ConnectionClosedError(reason, { cause });
    this.abort(reason);
  }

  #finishClose(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.keepAlive = false;
    if (this.#closeReason === "") this.#closeReason = "closed";
    this.#source.cancel();
    this.#notify();
    const first = this.#writtenFirst;
    const unwritten = this.#writtenWaiters;
    this.#writtenFirst = null;
    this.#writtenWaiters = null;
    first?.(this.#closedError());
    if (unwritten !== null) { for (const { callback } of unwritten) callback(this.#closedError()); }
    const listeners = this.#closeListeners;
    this.#closeListeners = null;
    if (listeners !== null) { for (const listener of listeners) listener(); }
    this.#owner[CLOSED](this);
    this.#resolveClosed?.();
    this.#resolveClosed = null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

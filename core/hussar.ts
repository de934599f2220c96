import {
  type AwayCall,
  Scheduler,
  type Thread,
  type ThreadGenerator,
  type TimerHandle,
  wait,
} from "../scheduler/mod.ts";
import { context } from "../internal/context.ts";
import { AFTER_TASK, PUSH_SETTLED } from "../internal/thread_slots.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import {
  BODY_ENDED,
  CLEAR_DEADLINE,
  CLOSED,
  DESCRIPTOR,
  DIRTY,
  EXPIRE,
  FLUSH,
  GRACE_TIMER,
  NEXT,
  PREV,
  SET_DEADLINE,
  START_WATCH,
  TAKE_WAKE,
  WAKE,
  WATCH_KEPT,
  WATCH_LATER,
} from "./_slots.ts";
import { Descriptor } from "./descriptor.ts";
import { DeadlineHeap } from "./_deadlines.ts";
import { LiveList } from "./_list.ts";
import { Batch } from "../internal/batch.ts";
import { BoundBody } from "./_bound_body.ts";
import { DeadlineError } from "./errors.ts";
import type { ShuttleHandler, ShuttleLike, ShuttleSource } from "./shuttle.ts";
import type { Source, Transport } from "./transport.ts";

/**
 * Serves one connection: returns a thread body (a generator) or a Promise.
 * `frame` is private to the connection; `pubframe` is shared by all.
 */
export type HussarHandler = (
  conn: Connection,
  frame: Record<string, unknown>,
  pubframe: Record<string, unknown>,
) => ThreadGenerator | PromiseLike<unknown>;

/** Options for {@linkcode Hussar}. */
export interface HussarOptions {
  /** Serves each connection. */
  handler: HussarHandler;
  /** The scheduler to run on (default: a new one with the system clock). */
  scheduler?: Scheduler;
  /** The frame shared by all connections (default `{}`). */
  pubframe?: Record<string, unknown>;
  /**
   * Time a thread has, after its deadline passed or its connection closed
   * (a shuttle's: after its `signal` aborted), to finish by itself before
   * the core kills it and aborts the connection (default 1000 ms).
   */
  graceMs?: number;
  /** Output bytes per connection above which `flush()` parks (default 64 KiB). */
  highWaterMark?: number;
  /** Live connections beyond which a new one is aborted at once (default: no limit). */
  maxConnections?: number;
  /**
   * Receives a handler's uncaught error (after which its connection is
   * aborted). Default: the logger's `error`.
   */
  onError?: (error: unknown, conn: Connection) => void;
  /**
   * Where the core reports the faults it caught besides the connection
   * handler's (a shuttle handler's, a thread's of the scheduler it makes);
   * `false` says nothing. Default: the console.
   */
  logger?: Logger | false;
}

/** Counts for introspection and metrics. */
export interface HussarStats {
  /** Live descriptors (connections not yet dropped). */
  connections: number;
  /** Live descriptors by `Connection.phase`. */
  phases: Record<string, number>;
  /** Live descriptors by `Connection.state`. */
  states: Record<string, number>;
  /** Connections accepted since creation. */
  accepted: number;
  /** Shuttles (worker mode) whose handler thread is still running. */
  shuttles: number;
}

/**
 * The hussar server core: binds a thread to each connection, wakes it when
 * its connection has news, enforces deadlines (from one managing thread),
 * and drops each descriptor once its thread and connection are both done.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn, frame, pubframe) {
 *     pubframe.count = ((pubframe.count as number) ?? 0) + 1;
 *     frame.greeting = "hello";
 *     conn.write(new TextEncoder().encode(`${frame.greeting} #${pubframe.count}\n`));
 *     yield* conn.drain();
 *   },
 * });
 * hussar.attachSource(source);
 * console.log(await source.connect().readText()); // hello #1
 * await hussar.close();
 * ```
 */
export class Hussar implements ConnectionOwner {
  /** The scheduler this core runs on. */
  readonly scheduler: Scheduler;
  /** The frame shared by all connections. */
  readonly pubframe: Record<string, unknown>;
  readonly #handler: HussarHandler;
  readonly #graceMs: number;
  readonly #highWaterMark: number;
  readonly #maxConnections: number;
  readonly #onError: (error: unknown, conn: Connection) => void;
  readonly #logger: Logger;
  /** Live descriptors, in acceptance order (`_list.ts` says why not a `Map`). */
  readonly #descriptors = new LiveList<Descriptor>();
  readonly #sources = new Set<Source>();
  readonly #shuttleSources = new Set<ShuttleSource<ShuttleLike>>();
  /** Shuttle threads running. */
  readonly #shuttles = new LiveList<ShuttleEntry>();
  readonly #deadlines: DeadlineHeap;
  #manager: Thread | null = null;
  #managerPoked = false;
  #expired: Descriptor[] = [];
  readonly #dirty = new Batch<Connection>();
  readonly #flushDirtyTask = (): void => this.#flushDirty();
  /** Connections whose threads ended in this turn, dropped at its end if closed. */
  readonly #ended = new Batch<Descriptor>();
  #flushScheduled = false;
  /** Connections whose watch for the peer's end starts after this host task (`WATCH_LATER`). */
  readonly #watches = new Batch<Connection>();
  #watchesScheduled = false;
  #nextConnectionId = 1;
  #accepted = 0;
  #closing = false;
  #unwatch: (() => void) | null = null;
  #emptyWaiters: (() => void)[] = [];
  #closedPromise: Promise<void>;
  #resolveClosed!: () => void;

  /** Creates a core; it starts when the first connection or source arrives. */
  constructor(options: HussarOptions) {
    if (typeof options?.handler !== "function") {
      throw new TypeError("Hussar needs a handler function");
    }
    this.#handler = options.handler;
    const logger = this.#logger = resolveLogger(options.logger);
    this.scheduler = options.scheduler ?? new Scheduler({ logger });
    this.pubframe = options.pubframe ?? {};
    this.#graceMs = options.graceMs ?? 1000;
    this.#highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.#maxConnections = options.maxConnections ?? Infinity;
    this.#onError = options.onError ??
      ((error, conn) => logger.error(`connection #${conn.id} failed`, error));
    this.#deadlines = new DeadlineHeap(
      this.scheduler,
      (descriptor) => this.#deadlineDue(descriptor),
    );
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Starts the managing thread (done implicitly by `attachSource` and `addConnection`). */
  start(): void {
    if (this.#manager !== null) return;
    this.#closing = false;
    // Writes made during a turn leave together when it ends (corking); watches for the peer's
    // end that the turn's exchanges no longer need are dropped.
    this.#unwatch = this.scheduler.watch({
      onTurn: () => {
        this.#flushDirty();
        this.#keepWatches();
        this.#dropEnded();
      },
    });
    this.#manager = this.scheduler.spawn(this.#manage(), { name: "hussar-manager" });
  }

  /**
   * Starts the core (the scheduler runs by itself) and resolves when
   * {@linkcode Hussar.close} has finished: what a main program awaits.
   */
  run(): Promise<void> {
    this.start();
    return this.#closedPromise;
  }

  /** Accepts connections from `source` until it is closed or the core closes. */
  attachSource(source: Source): Promise<void> {
    this.start();
    this.#sources.add(source);
    return Promise.resolve(source.listen((transport) => this.addConnection(transport)));
  }

  /** Detaches and closes a source; live connections go on. */
  async detachSource(source: Source): Promise<void> {
    if (this.#sources.delete(source)) await source.close();
  }

  /**
   * Binds a new connection to a thread from the handler. Returns its
   * descriptor (already dropped if the handler failed at once).
   */
  addConnection(transport: Transport): Descriptor {
    this.start();
    const conn = new Connection(this, this.#nextConnectionId++, transport, this.#highWaterMark);
    const descriptor = new Descriptor(conn, {});
    this.#descriptors.add(descriptor);
    conn[DESCRIPTOR] = descriptor;
    this.#accepted++;
    if (this.#closing || this.#descriptors.size > this.#maxConnections) {
      conn.abort(this.#closing ? "server closing" : "too many connections");
      return descriptor;
    }
    let body: ThreadGenerator | PromiseLike<unknown>;
    try {
      body = this.#handler(conn, descriptor.frame, this.pubframe);
    } catch (error) {
      this.#handlerFailed(conn, error);
      this.#maybeDrop(descriptor);
      return descriptor;
    }
    const bound = new BoundBody(this, descriptor, threadBody(body));
    descriptor.thread = this.scheduler.spawn(bound.asThreadBody(), bound);
    return descriptor;
  }

  /** Live descriptors, in acceptance order. */
  descriptors(): IterableIterator<Descriptor> {
    return this.#descriptors.toArray().values();
  }

  /** Number of live descriptors. */
  get connectionCount(): number {
    return this.#descriptors.size;
  }

  /** Counts by phase and state, for tests and metrics. */
  stats(): HussarStats {
    const phases: Record<string, number> = {};
    const states: Record<string, number> = {};
    for (
      let descriptor = this.#descriptors.first;
      descriptor !== null;
      descriptor = descriptor[NEXT]
    ) {
      const connection = descriptor.connection;
      phases[connection.phase] = (phases[connection.phase] ?? 0) + 1;
      states[connection.state] = (states[connection.state] ?? 0) + 1;
    }
    return {
      connections: this.#descriptors.size,
      phases,
      states,
      accepted: this.#accepted,
      shuttles: this.#shuttles.size,
    };
  }

  /**
   * Runs `handler` as a thread for each shuttle `source` hands over (worker
   * mode: the workers own the connections, the handlers run here). The
   * shuttles count in {@linkcode Hussar.stats} and {@linkcode Hussar.whenEmpty};
   * {@linkcode Hussar.close} aborts those left and closes the source.
   */
  attachShuttles<S extends ShuttleLike>(
    source: ShuttleSource<S>,
    handler: ShuttleHandler<S>,
  ): Promise<void> {
    this.start();
    this.#shuttleSources.add(source as ShuttleSource<ShuttleLike>);
    return Promise.resolve(source.listen((shuttle) => this.#addShuttle(shuttle, handler)));
  }

  /** Detaches and closes a shuttle source; shuttles in flight go on. */
  async detachShuttles(source: ShuttleSource<ShuttleLike>): Promise<void> {
    if (this.#shuttleSources.delete(source)) await source.close();
  }

  #addShuttle<S extends ShuttleLike>(shuttle: S, handler: ShuttleHandler<S>): void {
    if (this.#closing) return shuttle.abort("server closing");
    let body: ThreadGenerator | PromiseLike<unknown>;
    try {
      body = handler(shuttle);
    } catch (error) {
      return this.#shuttleFailed(shuttle, error);
    }
    // Once the exchange has ended early, the thread has `graceMs` to finish, then it is ended.
    const signal = shuttle.signal;
    let grace: TimerHandle | null = null;
    const onAbort = (): void => {
      grace ??= this.scheduler.setTimeout(this.#graceMs, () => {
        if (thread.alive) this.scheduler.kill(thread);
      });
    };
    const entry: ShuttleEntry = { shuttle, thread: null, [PREV]: null, [NEXT]: null };
    const thread = this.scheduler.spawn(
      this.#runShuttle(entry, threadBody(body), () => {
        signal?.removeEventListener("abort", onAbort);
        grace?.cancel();
      }),
      { name: `shuttle#${shuttle.id}` },
    );
    if (!thread.alive) return;
    entry.thread = thread;
    this.#shuttles.add(entry);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  }

  *#runShuttle(entry: ShuttleEntry, body: AwayCall<unknown>, ended: () => void): AwayCall<void> {
    try {
      yield* body;
    } catch (error) {
      this.#shuttleFailed(entry.shuttle, error);
    } finally {
      ended();
      this.#forgetShuttle(entry);
      this.#notifyIfEmpty();
    }
  }

  /** Takes `entry` out of the list (if in it: one that ended within spawn() never was). */
  #forgetShuttle(entry: ShuttleEntry): void {
    this.#shuttles.delete(entry);
    entry.thread = null;
  }

  #shuttleFailed(shuttle: ShuttleLike, error: unknown): void {
    try {
      this.#logger.error(`shuttle #${shuttle.id} failed`, error);
    } finally {
      shuttle.abort(`handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Resolves once no descriptor is left (all connections ended and their threads done) and no shuttle thread runs. */
  whenEmpty(): Promise<void> {
    if (this.#descriptors.size === 0 && this.#shuttles.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  /**
   * Closes every source, aborts every connection and waits until all
   * descriptors are gone; the managing thread then ends. Use it to stop the
   * core for good (graceful draining belongs to the protocol layer).
   */
  async close(reason = "server closed"): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#sources, ...this.#shuttleSources].map((source) => source.close()),
    );
    this.#sources.clear();
    this.#shuttleSources.clear();
    for (const entry of this.#shuttles.toArray()) {
      const thread = entry.thread;
      if (thread === null) continue; // forgotten as an earlier one was aborted
      entry.shuttle.abort(reason);
      if (thread.alive) this.scheduler.kill(thread);
      // A thread killed before its first turn never reaches the `finally` that forgets it.
      this.#forgetShuttle(entry);
    }
    for (const descriptor of this.#descriptors.toArray()) {
      descriptor.connection.abort(reason);
      this.#endThreadLater(descriptor, 0);
    }
    await this.whenEmpty();
    const manager = this.#manager;
    if (manager !== null && manager.alive) this.scheduler.kill(manager);
    this.#manager = null;
    this.#unwatch?.();
    this.#unwatch = null;
    const resolveClosed = this.#resolveClosed;
    // A later start() begins a new life with a new `run()` Promise.
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
    resolveClosed();
  }

  // ---- ConnectionOwner ----

  /** @internal */
  [WAKE](conn: Connection, settled: boolean, ownTask: boolean): void {
    // Straight to the parked thread: a wake through the managing thread would cost a
    // signal and a turn more. The managing thread expires deadlines.
    const signal = conn[TAKE_WAKE]();
    if (signal === null) return;
    if (settled) this.scheduler[PUSH_SETTLED](signal, ownTask);
    else this.scheduler.push(signal);
  }

  /** @internal */
  [DIRTY](conn: Connection): void {
    this.#dirty.push(conn);
    // Outside a turn (async code), nothing would flush at turn end: flush in a microtask.
    if (context.thread === null && !this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flushDirtyTask);
    }
  }

  /** @internal */
  [WATCH_LATER](conn: Connection): void {
    this.#watches.push(conn);
    // In a turn, its end first drops the watches of exchanges answered meanwhile (most): no
    // host task for them (`#keepWatches`). Outside one, one host task for all of this one.
    if (context.thread?.scheduler !== this.scheduler) this.#startWatchesLater();
  }

  /** At a turn's end: the watches still on start after the host task; the others are dropped. */
  #keepWatches(): void {
    const watches = this.#watches;
    if (watches.size === 0 || this.#watchesScheduled) return;
    watches.retain(watchKept);
    if (watches.size > 0) this.#startWatchesLater();
  }

  #startWatchesLater(): void {
    if (this.#watchesScheduled) return;
    this.#watchesScheduled = true;
    // The scheduler's next tick, when one comes in that host task too, takes it along.
    this.scheduler[AFTER_TASK](this.#startWatches);
  }

  #startWatches = (): void => {
    this.#watchesScheduled = false;
    this.#watches.drain(startWatch);
  };

  /** @internal */
  [CLOSED](conn: Connection): void {
    const descriptor = conn[DESCRIPTOR];
    if (descriptor === null) return;
    this.#cancelDeadline(descriptor);
    // A thread that outlives its connection gets the grace period to notice, then ends.
    if (descriptor.thread?.alive) this.#endThreadLater(descriptor, this.#graceMs);
    this.#maybeDrop(descriptor);
  }

  /** @internal */
  [SET_DEADLINE](conn: Connection, ms: number, reason: string): void {
    const descriptor = conn[DESCRIPTOR];
    if (descriptor === null || conn.state === "closed") return;
    if (!(ms >= 0)) throw new RangeError(`invalid deadline: ${ms} ms`);
    this.#cancelGrace(descriptor);
    const due = this.scheduler.now() + ms;
    descriptor.deadline = due;
    descriptor.deadlineReason = reason;
    // A protocol moves its deadline several times per exchange, mostly later: the heap entry
    // stays and is put back when it comes up early; only an earlier deadline moves it.
    this.#deadlines.schedule(descriptor, due);
  }

  /** A descriptor came up in the deadline heap: its deadline passed, moved later, or went. */
  #deadlineDue(descriptor: Descriptor): void {
    if (descriptor.deadline === Infinity) return;
    if (descriptor.deadline > this.scheduler.now()) {
      return this.#deadlines.schedule(descriptor, descriptor.deadline);
    }
    this.#expired.push(descriptor);
    this.#poke();
  }

  /** @internal */
  [CLEAR_DEADLINE](conn: Connection): void {
    const descriptor = conn[DESCRIPTOR];
    if (descriptor === null || conn.state === "closed") return;
    // The heap entry stays (see SET_DEADLINE); with no deadline it does nothing when it comes up.
    descriptor.deadline = Infinity;
    this.#cancelGrace(descriptor);
  }

  // ---- internals ----

  #poke(): void {
    if (this.#managerPoked || this.#manager === null) return;
    this.#managerPoked = true;
    this.scheduler.push({ target: this.#manager, kind: "poke" });
  }

  /** The managing thread: expires deadlines (a connection with news wakes its thread itself). */
  *#manage(): AwayCall<void> {
    for (;;) {
      yield;
      this.#managerPoked = false;
      const expired = this.#expired;
      this.#expired = [];
      for (const descriptor of expired) this.#expire(descriptor);
    }
  }

  #expire(descriptor: Descriptor): void {
    const conn = descriptor.connection;
    if (conn[DESCRIPTOR] !== descriptor || conn.state === "closed") return;
    const reason = descriptor.deadlineReason;
    descriptor.deadline = Infinity;
    // A thread that has ended left its connection closing under this deadline: nobody to tell.
    if (descriptor.thread !== null && !descriptor.thread.alive) {
      return conn.abort(`deadline: ${reason}`);
    }
    conn[EXPIRE](new DeadlineError(reason));
    // The thread may answer (say, 408) within the grace period; then it is cut off.
    this.#endThreadLater(descriptor, this.#graceMs, `deadline: ${reason}`);
  }

  #endThreadLater(descriptor: Descriptor, ms: number, abortReason?: string): void {
    if (descriptor[GRACE_TIMER] !== null) return;
    const end = (): void => {
      descriptor[GRACE_TIMER] = null;
      descriptor.connection.abort(abortReason ?? "thread outlived its connection");
      const thread = descriptor.thread;
      if (thread?.alive) this.scheduler.kill(thread);
      this.#maybeDrop(descriptor);
    };
    if (ms === 0 && context.thread === null) end();
    else descriptor[GRACE_TIMER] = this.scheduler.setTimeout(ms, end);
  }

  /** @internal */
  [BODY_ENDED](descriptor: Descriptor, failed: boolean, error: unknown): void {
    const conn = descriptor.connection;
    try {
      if (failed) this.#handlerFailed(conn, error);
    } finally {
      // The handler is done with the connection: close it (sending what is queued).
      conn.close("handler finished");
      this.#threadEnded(descriptor);
    }
  }

  #handlerFailed(conn: Connection, error: unknown): void {
    try {
      this.#onError(error, conn);
    } finally {
      conn.abort(`handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #threadEnded(descriptor: Descriptor): void {
    // Called from the thread's own finally: it is not dead yet. In a turn, dropped at its end
    // (`#dropEnded`, no microtask per connection); outside one (killed), a microtask later.
    if (context.thread?.scheduler === this.scheduler) this.#ended.push(descriptor);
    else queueMicrotask(() => this.#maybeDrop(descriptor));
  }

  /** At a turn's end: the connections whose threads ended in it, dead now. */
  #dropEnded(): void {
    this.#ended.drain(this.#dropOne);
  }

  #dropOne = (descriptor: Descriptor): void => this.#maybeDrop(descriptor);

  #maybeDrop(descriptor: Descriptor): void {
    const conn = descriptor.connection;
    if (conn[DESCRIPTOR] !== descriptor) return;
    if (conn.state !== "closed" || descriptor.thread?.alive) return;
    this.#cancelDeadline(descriptor);
    this.#cancelGrace(descriptor);
    this.#descriptors.delete(descriptor);
    conn[DESCRIPTOR] = null;
    this.#notifyIfEmpty();
  }

  #notifyIfEmpty(): void {
    if (
      this.#descriptors.size === 0 && this.#shuttles.size === 0 && this.#emptyWaiters.length > 0
    ) {
      const waiters = this.#emptyWaiters;
      this.#emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #cancelGrace(descriptor: Descriptor): void {
    descriptor[GRACE_TIMER]?.cancel();
    descriptor[GRACE_TIMER] = null;
  }

  #cancelDeadline(descriptor: Descriptor): void {
    this.#deadlines.remove(descriptor);
    descriptor.deadline = Infinity;
  }

  #flushDirty(): void {
    this.#flushScheduled = false;
    this.#dirty.drain(flush);
  }
}

const flush = (conn: Connection): void => conn[FLUSH]();
const watchKept = (conn: Connection): boolean => conn[WATCH_KEPT]();
const startWatch = (conn: Connection): void => conn[START_WATCH]();

/**
 * A handler's result (a generator, or a Promise waited for) as a thread's
 * body. The thread observes a Promise from its first turn only; until then a
 * rejection must not count as unhandled.
 */
function threadBody(body: ThreadGenerator | PromiseLike<unknown>): AwayCall<unknown> {
  if (typeof (body as PromiseLike<unknown>)?.then !== "function") return body as ThreadGenerator;
  const promise = Promise.resolve(body as PromiseLike<unknown>);
  promise.catch(() => {});
  return wait(promise);
}

/** A running shuttle's place in the core's list (`thread` null: not in it). */
interface ShuttleEntry {
  readonly shuttle: ShuttleLike;
  thread: Thread | null;
  [PREV]: ShuttleEntry | null;
  [NEXT]: ShuttleEntry | null;
}

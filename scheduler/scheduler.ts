import { type Clock, SystemClock } from "./clock.ts";
import { context } from "../internal/context.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";
import { AwayRuleError, DeadThreadError } from "./errors.ts";
import type { Signal } from "./signal.ts";
import { Thread, type ThreadBody, type ThreadGenerator } from "./thread.ts";
import { type HeapEntry, TimerHeap } from "./_timer_heap.ts";
import { Batch } from "../internal/batch.ts";
import {
  AFTER_TASK,
  AWAITING,
  FILTER,
  GENERATOR,
  KILLED,
  ON_FINISHED,
  PUSH_SETTLED,
  START,
  STASH,
} from "../internal/thread_slots.ts";

/** What a timer does when due: push a signal (this turn) or call a function. */
export type TimerAction = Signal | (() => void);

/**
 * A timer created by {@linkcode Scheduler.setTimeout} or
 * {@linkcode Scheduler.setRepeat}.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const handle = scheduler.setTimeout(1000, () => console.log("never"));
 * handle.cancel();
 * console.log(handle.active); // false
 * ```
 */
export interface TimerHandle {
  /** Stops the timer; cancelling twice is harmless. */
  cancel(): void;
  /** `true` until the timer fired (one-shot) or was cancelled. */
  readonly active: boolean;
}

/**
 * Hooks to observe the scheduler, for logs, metrics and tests.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const unwatch = scheduler.watch({ onResume: (thread, signal) => console.log(`${thread} <- ${signal.kind}`) });
 * scheduler.spawn(function* () {}, { name: "a" });
 * await scheduler.run();
 * unwatch();
 * ```
 */
export interface SchedulerWatcher {
  /** A signal entered the public queue. */
  onPush?(signal: Signal): void;
  /** A thread is about to be resumed with `signal`. */
  onResume?(thread: Thread, signal: Signal): void;
  /** Turn number `turn` has finished. */
  onTurn?(turn: number): void;
  /** A thread died (returned, threw or was killed). */
  onThreadEnd?(thread: Thread): void;
}

/** Options for {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /** Time source (default {@linkcode SystemClock}; tests pass a `VirtualClock`). */
  clock?: Clock;
  /**
   * Check the away rules: at most one signal per thread in a turn's queue,
   * and report signals a thread set aside but never took before it ended.
   * Each breach is an {@linkcode AwayRuleError} naming the thread.
   */
  debug?: boolean;
  /**
   * Receives errors thrown by threads and timer callbacks (`thread` is null
   * for a timer callback). Default: the logger's `error`, with the thread's
   * name and the stack. The scheduler keeps running other threads either way.
   */
  onError?: (error: unknown, thread: Thread | null) => void;
  /** Where the default `onError` reports (`false`: nowhere). Default: the console. */
  logger?: Logger | false;
  /** Called at the end of every turn, as away's poller (I/O integration, batching). */
  poller?: (scheduler: Scheduler) => void;
  /** Most turns run back to back before yielding to the host event loop (default 64). */
  maxTurnsPerTick?: number;
}

/**
 * Options for {@linkcode Scheduler.spawn}. The thread keeps the object and
 * reads `name` only when its name is asked for, so a getter makes a lazy
 * name (a connection's thread is named in messages only, not per accept).
 */
export interface SpawnOptions {
  /** Name used in logs and error messages. */
  readonly name?: string;
}

/** The options of a thread spawned without any: one object for all, kept by each thread. */
const NO_OPTIONS: SpawnOptions = Object.freeze({});

class Timer implements TimerHandle, HeapEntry {
  due: number;
  readonly seq: number;
  readonly interval: number;
  readonly action: TimerAction;
  readonly source: Thread | null;
  active = true;
  readonly #owner: Scheduler;
  readonly #onCancel: (timer: Timer) => void;

  constructor(
    owner: Scheduler,
    onCancel: (timer: Timer) => void,
    due: number,
    seq: number,
    interval: number,
    action: TimerAction,
  ) {
    this.#owner = owner;
    this.#onCancel = onCancel;
    this.due = due;
    this.seq = seq;
    this.interval = interval;
    this.action = action;
    this.source = context.thread?.scheduler === owner ? context.thread : null;
  }

  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.#onCancel(this);
  }
}

/**
 * The signal a thread's Promise settles with. A thread waits on one Promise
 * at a time, so the filter that lets only this signal through is one shared
 * function that knows the class. A closure per wait (`signal === settled`),
 * stored in the long-lived thread, kept the signal and the Promise's value (a
 * handler's whole response) alive through minor collections, and the young
 * generation grew to its maximum (`engine.ts`, `serve()`: 12.1 MB of 480
 * promoted, 1.6 without; `scripts/bench/request_footprint.ts --case=closure`).
 */
class Settled implements Signal {
  readonly kind = "settled";
  source: Thread;
  ok = false;
  value: unknown = undefined;
  error: unknown = undefined;
  [field: string]: unknown;

  constructor(readonly target: Thread) {
    this.source = target;
  }
}

const isSettled = (signal: Signal): boolean => signal instanceof Settled;

const START_KIND = "start";
/** Microtask ticks (see `Scheduler#landSettled`) between two ticks of the host event loop. */
const MICRO_TICKS = 16;
/**
 * Microtask ticks after a host task of its own pushed (`PUSH_SETTLED` with
 * `ownTask`, a socket callback): enough for a 1 MiB body of 64 KiB chunks
 * to flow in that task (a tick a chunk), as the runtime's own server sends it.
 */
const TASK_MICRO_TICKS = 32;
const noop = (): void => {};
const runTask = (task: () => void): void => task();

/** What the default `onError` reports to the logger. */
function logFailure(logger: Logger, error: unknown, thread: Thread | null): void {
  logger.error(`${thread === null ? "timer callback" : String(thread)} failed`, error);
}

/**
 * The by-signal coroutine scheduler (away).
 *
 * Each turn moves the public queue to an internal one, runs due timers
 * (whose signals join this turn), resumes each signal's target in order, then
 * calls the poller. Signals pushed during a turn run in the next turn. The
 * scheduler runs itself on the host event loop whenever there is work:
 * {@linkcode Scheduler.run} only waits for it to become idle.
 *
 * @example
 * ```ts
 * import { Scheduler, type Signal } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const pong = scheduler.spawn(function* () {
 *   for (;;) {
 *     const ping: Signal = yield;
 *     if (ping.kind === "stop") return;
 *     scheduler.push({ target: ping.source!, kind: "pong", n: ping.n });
 *   }
 * }, { name: "pong" });
 * scheduler.spawn(function* () {
 *   scheduler.push({ target: pong, kind: "ping", n: 1 });
 *   const reply: Signal = yield;
 *   console.log(reply.kind, reply.n); // pong 1
 *   scheduler.push({ target: pong, kind: "stop" });
 * }, { name: "ping" });
 * await scheduler.run();
 * ```
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #debug: boolean;
  readonly #onError: (error: unknown, thread: Thread | null) => void;
  readonly #logger: Logger;
  readonly #poller: ((scheduler: Scheduler) => void) | null;
  readonly #maxTurnsPerTick: number;
  /**
   * The next turn's signals are `#public[0, #publicLength)`. The two arrays
   * swap each turn and keep their store: emptying one with `length = 0`
   * frees it, and the next push allocates another (one per turn).
   */
  #public: (Signal | undefined)[] = [];
  #publicLength = 0;
  #internal: (Signal | undefined)[] = [];
  /** Debug mode: threads that already have a user signal in the public queue. */
  readonly #queuedTargets = new Set<Thread>();
  readonly #timers = new TimerHeap<Timer>();
  #activeTimers = 0;
  #cancelledInHeap = 0;
  #timerSeq = 0;
  #nextThreadId = 1;
  #liveThreads = 0;
  #pendingWaits = 0;
  #turn = 0;
  #inTurn = false;
  /** The clock's reading at the start of the running tick (its turns share it); null between ticks. */
  #tickStart: number | null = null;
  /** When the clock's alarm is set for (Infinity: none). */
  #alarmAt = Infinity;
  #tickScheduled = false;
  /** A `setImmediate` is queued: for a tick, `AFTER_TASK` tasks, or both. */
  #immediateQueued = false;
  readonly #afterTask = new Batch<() => void>();
  /** A tick is queued as a microtask, for threads whose Promise settled (see `#landSettled`). */
  #microScheduled = false;
  /** Microtask ticks left before the host event loop must run again (reset by a macrotask tick). */
  #microBudget = MICRO_TICKS;
  #stopped = false;
  #idleCheckScheduled = false;
  #idleWaiters: (() => void)[] = [];
  #stopWaiters: (() => void)[] = [];
  #keepAlive: ReturnType<typeof setInterval> | undefined = undefined;
  #watchers: SchedulerWatcher[] = [];

  /** Creates a scheduler; it starts running as soon as it has work. */
  constructor(options: SchedulerOptions = {}) {
    this.#clock = options.clock ?? new SystemClock();
    this.#debug = options.debug ?? false;
    this.#logger = resolveLogger(options.logger);
    this.#onError = options.onError ?? ((error, thread) => logFailure(this.#logger, error, thread));
    this.#poller = options.poller ?? null;
    this.#maxTurnsPerTick = options.maxTurnsPerTick ?? 64;
  }

  /**
   * The current time of this scheduler's clock, in milliseconds. Within a
   * tick it is the time the tick began: the clock is read once per tick,
   * since reading it may cost a call into the runtime (Deno's
   * `performance.now()`) and timers need no finer grain.
   */
  now(): number {
    return this.#tickStart ?? this.#clock.now();
  }

  /** Number of turns run so far. */
  get turn(): number {
    return this.#turn;
  }

  /** Threads spawned and not yet dead. */
  get threadCount(): number {
    return this.#liveThreads;
  }

  /** Timers neither fired (one-shot) nor cancelled. */
  get timerCount(): number {
    return this.#activeTimers;
  }

  /** Threads parked on a Promise that has not settled yet. */
  get pendingWaitCount(): number {
    return this.#pendingWaits;
  }

  /** Signals waiting for the next turn. */
  get queuedSignalCount(): number {
    return this.#publicLength;
  }

  /**
   * Creates a thread from `body` and schedules its first resume, with a
   * `{ kind: "start" }` signal, for the next turn.
   */
  spawn(body: ThreadBody, options: SpawnOptions = NO_OPTIONS): Thread {
    if (
      typeof body !== "function" &&
      (typeof body !== "object" || body === null || typeof body.next !== "function")
    ) {
      throw new TypeError("spawn() needs a generator or a generator function");
    }
    const thread = new Thread(this, this.#nextThreadId++, body, options);
    this.#liveThreads++;
    this.#enqueue({ target: thread, kind: START_KIND }, false);
    return thread;
  }

  /**
   * Queues `signal` for the next turn. `signal.source` is set to the thread
   * pushing it. Throws {@linkcode DeadThreadError} when the target is dead,
   * and in debug mode {@linkcode AwayRuleError} when the target already has a
   * signal queued.
   */
  push(signal: Signal): void {
    const target = signal.target;
    if (!(target instanceof Thread)) throw new TypeError("a signal needs a target thread");
    if (target.scheduler !== this) {
      throw new Error(`${target} belongs to another scheduler`);
    }
    if (target.state === "dead") {
      throw new DeadThreadError(
        `signal ${describeKind(signal)} pushed to finished ${target} by ${
          describeSource(context.thread)
        }`,
      );
    }
    if (this.#debug) {
      if (this.#queuedTargets.has(target)) {
        throw new AwayRuleError(
          `${target} would get two signals in one turn (second: ${describeKind(signal)} from ${
            describeSource(context.thread)
          })`,
        );
      }
      this.#queuedTargets.add(target);
    }
    this.#enqueue(signal, true);
  }

  /**
   * @internal `push()` from a Promise reaction outside any turn (see
   * `PUSH_SETTLED` in `internal/thread_slots.ts`): the thread resumes in this
   * microtask checkpoint, as after `#landSettled`. Elsewhere, or in debug
   * mode (which checks what `push()` checks), it is `push()`. `ownTask`:
   * pushed from a host task of its own (a socket callback), so the host
   * loop has run since the last tick: the microtask ticks start a fresh
   * budget, and a stream that flows goes on in this task.
   */
  [PUSH_SETTLED](signal: Signal, ownTask = false): void {
    if (this.#debug || context.thread !== null || signal.target.state === "dead") {
      return this.push(signal);
    }
    signal.source = null;
    if (ownTask) this.#microBudget = TASK_MICRO_TICKS;
    this.#landSettled(signal);
  }

  /** Queues signals that the scheduler itself produces; they are exempt from the debug rule. */
  #enqueue(signal: Signal, setSource: boolean): void {
    if (setSource) signal.source = context.thread?.scheduler === this ? context.thread : null;
    for (const watcher of this.#watchers) watcher.onPush?.(signal);
    this.#public[this.#publicLength++] = signal;
    this.#requestTick();
  }

  /** Calls `action` (or pushes it, if a signal) once after `ms` milliseconds. */
  setTimeout(ms: number, action: TimerAction): TimerHandle {
    return this.#addTimer(ms, 0, action);
  }

  /** Calls `action` (or pushes it, if a signal) every `ms` milliseconds until cancelled. */
  setRepeat(ms: number, action: TimerAction): TimerHandle {
    if (!(ms > 0)) throw new RangeError(`a repeating timer needs a period above 0 ms, got ${ms}`);
    return this.#addTimer(ms, ms, action);
  }

  #addTimer(ms: number, interval: number, action: TimerAction): TimerHandle {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`invalid timer delay: ${ms} ms`);
    if (typeof action !== "function" && !(action?.target instanceof Thread)) {
      throw new TypeError("a timer action is a function or a signal with a target thread");
    }
    const timer = new Timer(
      this,
      this.#cancelTimer,
      this.now() + ms,
      this.#timerSeq++,
      interval,
      action,
    );
    this.#timers.push(timer);
    this.#activeTimers++;
    // Outside a turn, let a tick re-plan the alarm (and a virtual clock jump only then,
    // so timers created back to back keep their order).
    this.#requestTick();
    return timer;
  }

  #cancelTimer = (_timer: Timer): void => {
    this.#activeTimers--;
    // Cancelled timers stay in the heap until popped; purge when they dominate.
    if (++this.#cancelledInHeap > 64 && this.#cancelledInHeap > this.#timers.size / 2) {
      this.#timers.filter((t) => t.active);
      this.#cancelledInHeap = 0;
    }
    if (this.#activeTimers === 0) this.#requestTick();
  };

  /**
   * Kills a thread that is not running: its `finally` blocks run, then it is
   * dead. Signals already queued for it are discarded with it, since killing
   * is a deliberate end rather than a lost message.
   */
  kill(thread: Thread): void {
    if (thread.state === "dead") return;
    if (thread.state === "running") throw new Error(`${thread} cannot kill itself; return instead`);
    thread[FILTER] = null;
    thread[STASH] = null;
    thread[KILLED] = true;
    if (thread[AWAITING]) {
      // Its Promise may never settle; it no longer keeps run() pending.
      thread[AWAITING] = false;
      this.#pendingWaits--;
    }
    const generator = thread[GENERATOR];
    if (generator !== null) {
      const previous = context.thread;
      context.thread = thread;
      thread.state = "running";
      try {
        // A generator that yields inside `finally` would survive one return(); insist.
        for (let i = 0; i < 16 && !generator.return(undefined).done; i++);
      } catch (error) {
        thread.error = error;
        this.#report(error, thread);
      } finally {
        context.thread = previous;
      }
    }
    this.#finish(thread);
  }

  /** Adds a watcher; returns a function that removes it. */
  watch(watcher: SchedulerWatcher): () => void {
    this.#watchers = [...this.#watchers, watcher];
    return () => {
      this.#watchers = this.#watchers.filter((w) => w !== watcher);
    };
  }

  /**
   * Resolves once nothing is left to do: no queued signals, no active timers
   * and no thread waiting on a Promise. (Threads parked for a signal that no
   * one will send do not keep it pending.)
   */
  run(): Promise<void> {
    this.#stopped = false;
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#requestTick();
    });
  }

  /** Runs (and keeps the host process alive) until {@linkcode Scheduler.stop} is called. */
  runForever(): Promise<void> {
    this.#stopped = false;
    // A pending Promise alone does not keep Node, Deno or Bun alive.
    this.#keepAlive ??= setInterval(noop, 1 << 30);
    return new Promise((resolve) => {
      this.#stopWaiters.push(resolve);
      this.#requestTick();
    });
  }

  /**
   * Stops running turns and settles `run()` and `runForever()`. Queued
   * signals and timers are kept; `run()` or `runForever()` resumes.
   */
  stop(): void {
    this.#stopped = true;
    this.#clearAlarm();
    if (this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
    this.#settle(this.#stopWaiters);
    this.#settle(this.#idleWaiters);
  }

  #settle(waiters: (() => void)[]): void {
    if (waiters === this.#stopWaiters) this.#stopWaiters = [];
    else this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #requestTick(): void {
    if (this.#tickScheduled || this.#stopped || this.#inTurn) return;
    this.#tickScheduled = true;
    this.#queueImmediate();
  }

  /** @internal See `AFTER_TASK` in `internal/thread_slots.ts`. */
  [AFTER_TASK](task: () => void): void {
    this.#afterTask.push(task);
    this.#queueImmediate();
  }

  #queueImmediate(): void {
    if (this.#immediateQueued) return;
    this.#immediateQueued = true;
    setImmediate(this.#tick);
  }

  #tick = (): void => {
    this.#immediateQueued = false;
    // The tasks queued before this host task; one queued by the tick waits for the host task
    // it queues.
    const tasks = this.#afterTask.size;
    try {
      if (!this.#tickScheduled) return;
      this.#tickScheduled = false;
      this.#microBudget = MICRO_TICKS;
      this.#runTicks();
    } finally {
      // After the tick: what it resumes (Promises settled since the task that asked) runs
      // first, so a task that checks whether work still waits sees it done.
      this.#afterTask.drain(runTask, tasks);
    }
  };

  /**
   * A thread's Promise settled (in a microtask, never inside a turn): its
   * thread resumes in this same microtask checkpoint rather than on the next
   * `setImmediate`, which on Node is the next event-loop iteration (a poll
   * and an immediate queue more per exchange). Not when a tick is coming
   * anyway (it takes the signal along: no tick more), and bounded, so that
   * Promises settling in a loop still let the host loop and its I/O run.
   */
  #landSettled(signal: Signal): void {
    for (const watcher of this.#watchers) watcher.onPush?.(signal);
    this.#public[this.#publicLength++] = signal;
    if (this.#microScheduled || this.#tickScheduled || this.#stopped || this.#inTurn) return;
    if (this.#microBudget === 0) return this.#requestTick();
    this.#microBudget--;
    this.#microScheduled = true;
    queueMicrotask(this.#microTick);
  }

  #microTick = (): void => {
    this.#microScheduled = false;
    if (this.#stopped || this.#inTurn || this.#publicLength === 0) return;
    this.#runTicks();
  };

  #runTicks(): void {
    if (this.#stopped) return;
    let turns = 0;
    this.#tickStart = this.#clock.now();
    try {
      do {
        this.#runTurn();
      } while (
        ++turns < this.#maxTurnsPerTick && !this.#stopped &&
        (this.#publicLength > 0 || this.#timerDue())
      );
    } finally {
      this.#tickStart = null;
    }
    this.#afterTick();
  }

  /** Decides what happens after a burst of turns: another tick, an alarm, or idleness. */
  #afterTick(): void {
    if (this.#stopped) return;
    if (this.#publicLength > 0 || this.#timerDue()) {
      this.#requestTick();
      return;
    }
    const next = this.#nextTimerDue();
    if (next === Infinity) {
      this.#clearAlarm();
      if (this.#pendingWaits === 0 && this.#idleWaiters.length > 0) this.#settle(this.#idleWaiters);
      return;
    }
    // An alarm armed for no later than `next` stays: if it comes early, its tick re-plans.
    // Re-arming a host timer on every tick would cost more than the tick.
    if (this.#alarmAt > next) {
      this.#alarmAt = next;
      this.#clock.setAlarm(next, this.#onAlarm);
    }
    if (this.#clock.idle !== undefined && !this.#idleCheckScheduled) {
      // Before a virtual clock may jump ahead, let work outside the scheduler
      // (settling Promises, in-memory I/O) run, so time does not pass under its feet.
      this.#idleCheckScheduled = true;
      const turn = this.#turn;
      setImmediate(() => {
        this.#idleCheckScheduled = false;
        if (this.#stopped || this.#tickScheduled || this.#publicLength > 0) return;
        // A microtask tick ran since: look again one macrotask after it.
        if (this.#turn !== turn) return this.#afterTick();
        const due = this.#nextTimerDue();
        if (due !== Infinity && this.#clock.idle?.(due)) this.#requestTick();
      });
    }
  }

  #onAlarm = (): void => {
    this.#alarmAt = Infinity;
    this.#requestTick();
  };

  #clearAlarm(): void {
    if (this.#alarmAt === Infinity) return;
    this.#alarmAt = Infinity;
    this.#clock.clearAlarm();
  }

  #timerDue(): boolean {
    return this.#nextTimerDue() <= this.now();
  }

  #nextTimerDue(): number {
    const timers = this.#timers;
    let top = timers.peek();
    while (top !== undefined && !top.active) {
      timers.pop();
      this.#cancelledInHeap--;
      top = timers.peek();
    }
    return top === undefined ? Infinity : top.due;
  }

  #runTurn(): void {
    this.#turn++;
    const queue = this.#public;
    let length = this.#publicLength;
    this.#public = this.#internal;
    this.#publicLength = 0;
    this.#internal = queue;
    if (this.#debug) this.#queuedTargets.clear();
    this.#inTurn = true;
    try {
      length = this.#fireDueTimers(queue, length);
      for (let i = 0; i < length; i++) {
        const signal = queue[i]!;
        queue[i] = undefined; // the array outlives the turn, the signal need not
        this.#deliver(signal);
      }
      this.#poller?.(this);
    } finally {
      this.#inTurn = false;
    }
    for (const watcher of this.#watchers) watcher.onTurn?.(this.#turn);
  }

  /** Appends the due timers' signals to `queue[0, length)`; returns its new length. */
  #fireDueTimers(queue: (Signal | undefined)[], length: number): number {
    const now = this.now();
    for (;;) {
      const timer = this.#timers.peek();
      if (timer === undefined || timer.due > now) return length;
      this.#timers.pop();
      if (!timer.active) {
        this.#cancelledInHeap--;
        continue;
      }
      if (timer.interval > 0) {
        // Keep the period without drift, but never fire a backlog in a burst.
        timer.due += timer.interval;
        if (timer.due <= now) timer.due = now + timer.interval;
        this.#timers.push(timer);
      } else {
        timer.active = false;
        this.#activeTimers--;
      }
      const action = timer.action;
      if (typeof action === "function") {
        try {
          action();
        } catch (error) {
          this.#report(error, null);
        }
      } else if (action.target.state === "dead") {
        this.#report(
          new DeadThreadError(
            `timer signal ${describeKind(action)} reached finished ${action.target}`,
          ),
          timer.source,
        );
      } else {
        action.source = timer.source;
        queue[length++] = action;
      }
    }
  }

  #deliver(signal: Signal): void {
    const thread = signal.target;
    if (thread.state === "dead") {
      // Signals for a killed thread (including its Promise's settle) die with it;
      // for a thread that ended by itself, they were lost: say so.
      if (!thread[KILLED]) {
        this.#report(
          new DeadThreadError(
            `signal ${describeKind(signal)} from ${
              describeSource(signal.source ?? null)
            } reached finished ${thread}`,
          ),
          signal.source ?? null,
        );
      }
      return;
    }
    const filter = thread[FILTER];
    if (filter !== null && !filter(signal)) {
      (thread[STASH] ??= []).push(signal);
      return;
    }
    thread[FILTER] = null;
    for (const watcher of this.#watchers) watcher.onResume?.(thread, signal);
    const previous = context.thread;
    context.thread = thread;
    thread.state = "running";
    let step: IteratorResult<unknown, unknown>;
    try {
      let generator = thread[GENERATOR];
      if (generator === null) {
        generator = thread[GENERATOR] = (thread[START] as (start: Signal) => ThreadGenerator)(
          signal,
        );
        thread[START] = null;
        if (typeof generator?.next !== "function") {
          throw new TypeError(`${thread}'s body did not return a generator`);
        }
        step = generator.next(signal);
      } else {
        step = generator.next(signal);
      }
    } catch (error) {
      context.thread = previous;
      thread.error = error;
      this.#report(error, thread);
      this.#finish(thread);
      return;
    }
    context.thread = previous;
    if (step.done) {
      thread.result = step.value;
      this.#finish(thread);
      return;
    }
    thread.state = "suspended";
    const yielded = step.value as { then?: unknown } | undefined;
    if (yielded !== undefined && yielded !== null && typeof yielded.then === "function") {
      this.#awaitPromise(thread, yielded as PromiseLike<unknown>);
    }
    const stash = thread[STASH];
    if (stash !== null) {
      // Signals set aside by a filtered wait go back in line, in order.
      thread[STASH] = null;
      for (const held of stash) this.#enqueue(held, false);
    }
  }

  #awaitPromise(thread: Thread, promise: PromiseLike<unknown>): void {
    const settled = new Settled(thread);
    thread[FILTER] = isSettled;
    thread[AWAITING] = true;
    this.#pendingWaits++;
    const land = (): void => {
      if (!thread[AWAITING]) return; // killed meanwhile, and already accounted for
      thread[AWAITING] = false;
      this.#pendingWaits--;
      this.#landSettled(settled);
    };
    promise.then(
      (value) => {
        settled.ok = true;
        settled.value = value;
        land();
      },
      (error) => {
        settled.error = error;
        land();
      },
    );
  }

  #finish(thread: Thread): void {
    thread.state = "dead";
    thread[GENERATOR] = null;
    thread[START] = null;
    thread[FILTER] = null;
    const stash = thread[STASH];
    thread[STASH] = null;
    this.#liveThreads--;
    if (this.#debug && stash !== null && stash.length > 0) {
      this.#report(
        new AwayRuleError(
          `${thread} ended with ${stash.length} signal(s) it never took: ${
            stash.map(describeKind).join(", ")
          }`,
        ),
        thread,
      );
    }
    for (const watcher of this.#watchers) watcher.onThreadEnd?.(thread);
    const onFinished = thread[ON_FINISHED];
    if (onFinished !== null) {
      thread[ON_FINISHED] = null;
      onFinished();
    }
  }

  #report(error: unknown, thread: Thread | null): void {
    try {
      this.#onError(error, thread);
    } catch (secondary) {
      // The error handler itself failed; never let that stop the loop.
      logFailure(this.#logger, secondary, thread);
    }
  }
}

function describeKind(signal: Signal): string {
  return signal.kind === undefined ? "(no kind)" : JSON.stringify(signal.kind);
}

function describeSource(thread: Thread | null): string {
  return thread === null ? "outside any thread" : String(thread);
}

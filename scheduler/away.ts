/**
 * Away calls: what a thread uses to talk to the scheduler running it. Calls
 * that park the thread are generators, used with `yield*`.
 *
 * @module
 */
import { FILTER } from "../internal/thread_slots.ts";
import { context } from "../internal/context.ts";
import { NotInThreadError } from "./errors.ts";
import type { Scheduler, SpawnOptions, TimerAction, TimerHandle } from "./scheduler.ts";
import type { SettledSignal, Signal } from "./signal.ts";
import { Thread, type ThreadBody, type ThreadYield } from "./thread.ts";

/** A generator that parks the calling thread and returns `T` (use it with `yield*`). */
export type AwayCall<T> = Generator<ThreadYield, T, Signal>;

/**
 * A shape a signal must match for {@linkcode waitSignalLike}: each field is a
 * value compared with `===`, or a predicate over the field's value.
 */
export type SignalPattern = Record<string, unknown | ((value: unknown) => boolean)>;

/**
 * The thread being run. Throws {@linkcode NotInThreadError} outside a thread.
 *
 * @example
 * ```ts
 * import { getCurrentThread, Scheduler } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * scheduler.spawn(function* () {
 *   console.log(String(getCurrentThread())); // thread "me"#1
 * }, { name: "me" });
 * await scheduler.run();
 * ```
 */
export function getCurrentThread(): Thread {
  const thread = context.thread;
  if (thread === null) throw new NotInThreadError("getCurrentThread");
  return thread;
}

/**
 * The scheduler running the current thread.
 *
 * @example
 * ```ts
 * import { getCurrentScheduler, Scheduler } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * scheduler.spawn(function* () {
 *   console.log(getCurrentScheduler() === scheduler); // true
 * });
 * await scheduler.run();
 * ```
 */
export function getCurrentScheduler(): Scheduler {
  const thread = context.thread;
  if (thread === null) throw new NotInThreadError("getCurrentScheduler");
  return thread.scheduler;
}

/**
 * Schedules a thread. Given a body, spawns a new thread on the current
 * scheduler (it starts next turn); given an existing thread, pushes it
 * `signal` (default `{ kind: "wake" }`) for the next turn.
 *
 * @example
 * ```ts
 * import { Scheduler, scheduleThread } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * scheduler.spawn(function* () {
 *   const child = scheduleThread(function* () {
 *     console.log("child runs next turn");
 *   }, { name: "child" });
 *   console.log(String(child));
 * });
 * await scheduler.run();
 * ```
 */
export function scheduleThread(
  target: ThreadBody | Thread,
  options?: SpawnOptions | Signal,
): Thread {
  const scheduler = getCurrentScheduler();
  if (target instanceof Thread) {
    const signal = options !== undefined && "target" in options
      ? options as Signal
      : { target, kind: "wake" };
    if (signal.target !== target) {
      throw new TypeError(`the signal targets ${signal.target}, not ${target}`);
    }
    scheduler.push(signal);
    return target;
  }
  return scheduler.spawn(target, options as SpawnOptions | undefined);
}

/**
 * Pushes signals, in order, for the next turn; each one's `source` becomes
 * the current thread.
 *
 * @example
 * ```ts
 * import { pushSignals, Scheduler } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const listener = scheduler.spawn(function* () {
 *   const signal = yield;
 *   console.log(signal.kind, String(signal.source)); // greet thread "sender"#2
 * });
 * scheduler.spawn(function* () {
 *   pushSignals({ target: listener, kind: "greet" });
 * }, { name: "sender" });
 * await scheduler.run();
 * ```
 */
export function pushSignals(...signals: Signal[]): void {
  const scheduler = getCurrentScheduler();
  for (const signal of signals) scheduler.push(signal);
}

/**
 * Parks until a signal passes `predicate`, and returns it. Signals that do
 * not pass are set aside and delivered, in order, once the thread parks
 * again: none is lost.
 *
 * @example
 * ```ts
 * import { Scheduler, waitSignalFor } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const thread = scheduler.spawn(function* () {
 *   const signal = yield* waitSignalFor((s) => s.kind === "b");
 *   console.log(signal.kind); // b
 *   console.log((yield).kind); // a, set aside until now
 * });
 * scheduler.push({ target: thread, kind: "a" });
 * scheduler.spawn(function* () {
 *   scheduler.push({ target: thread, kind: "b" });
 * });
 * await scheduler.run();
 * ```
 */
export function* waitSignalFor(predicate: (signal: Signal) => boolean): AwayCall<Signal> {
  const thread = getCurrentThread();
  thread[FILTER] = predicate;
  return yield;
}

/**
 * Parks until a signal matches `pattern` (see {@linkcode SignalPattern}) and
 * returns it; other signals wait their turn as with {@linkcode waitSignalFor}.
 *
 * @example
 * ```ts
 * import { Scheduler, waitSignalLike } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const thread = scheduler.spawn(function* () {
 *   const signal = yield* waitSignalLike({ kind: "data", size: (n: unknown) => (n as number) > 2 });
 *   console.log(signal.size); // 3
 * });
 * scheduler.push({ target: thread, kind: "data", size: 3 });
 * await scheduler.run();
 * ```
 */
export function waitSignalLike(pattern: SignalPattern): AwayCall<Signal> {
  const entries = Object.entries(pattern);
  return waitSignalFor((signal) => {
    for (const [key, expected] of entries) {
      const actual = signal[key];
      if (
        typeof expected === "function"
          ? !(expected as (value: unknown) => boolean)(actual)
          : actual !== expected
      ) {
        return false;
      }
    }
    return true;
  });
}

/**
 * Lets every other thread run a turn: pushes a wake signal to the current
 * thread and parks until it arrives.
 *
 * @example
 * ```ts
 * import { Scheduler, wakebackLater } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * scheduler.spawn(function* () {
 *   const before = scheduler.turn;
 *   yield* wakebackLater();
 *   console.log(scheduler.turn - before); // 1
 * });
 * await scheduler.run();
 * ```
 */
export function* wakebackLater(): AwayCall<void> {
  const thread = getCurrentThread();
  const wake: Signal = { target: thread, kind: "wake" };
  thread.scheduler.push(wake);
  thread[FILTER] = (signal) => signal === wake;
  yield;
}

/**
 * Parks the current thread for `ms` milliseconds of the scheduler's clock.
 *
 * @example
 * ```ts
 * import { Scheduler, sleep, VirtualClock } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler({ clock: new VirtualClock() });
 * scheduler.spawn(function* () {
 *   yield* sleep(1500);
 *   console.log(scheduler.now()); // 1500
 * });
 * await scheduler.run();
 * ```
 */
export function* sleep(ms: number): AwayCall<void> {
  const thread = getCurrentThread();
  const wake: Signal = { target: thread, kind: "wake" };
  const timer = thread.scheduler.setTimeout(ms, wake);
  thread[FILTER] = (signal) => signal === wake;
  try {
    yield;
  } finally {
    // Killed while asleep: leave no timer behind.
    timer.cancel();
  }
}

/**
 * Parks until `promise` settles; returns its value or throws its rejection
 * into the thread.
 *
 * @example
 * ```ts
 * import { Scheduler, wait } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * scheduler.spawn(function* () {
 *   const text = yield* wait(Promise.resolve("ready"));
 *   console.log(text); // ready
 * });
 * await scheduler.run();
 * ```
 */
export function* wait<T>(promise: PromiseLike<T>): AwayCall<T> {
  const settled = (yield promise) as SettledSignal;
  if (!settled.ok) throw settled.error;
  return settled.value as T;
}

/**
 * Runs `action` once after `ms` milliseconds on the current thread's
 * scheduler: a function is called, a signal is pushed.
 *
 * @example
 * ```ts
 * import { Scheduler, setTimeout, VirtualClock } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler({ clock: new VirtualClock() });
 * scheduler.spawn(function* () {
 *   setTimeout(10, () => console.log("at", scheduler.now())); // at 10
 * });
 * await scheduler.run();
 * ```
 */
export function setTimeout(ms: number, action: TimerAction): TimerHandle {
  return getCurrentScheduler().setTimeout(ms, action);
}

/**
 * Runs `action` every `ms` milliseconds until the handle is cancelled.
 *
 * @example
 * ```ts
 * import { Scheduler, setRepeat, VirtualClock } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler({ clock: new VirtualClock() });
 * scheduler.spawn(function* () {
 *   let ticks = 0;
 *   const handle = setRepeat(100, () => {
 *     if (++ticks === 3) handle.cancel();
 *   });
 * });
 * await scheduler.run();
 * console.log(scheduler.now()); // 300
 * ```
 */
export function setRepeat(ms: number, action: TimerAction): TimerHandle {
  return getCurrentScheduler().setRepeat(ms, action);
}

/**
 * Runs a plain (possibly async) function as a thread of `scheduler` (or of
 * the current thread's scheduler): an error or rejection goes to the
 * scheduler's error handler like any thread's.
 *
 * @example
 * ```ts
 * import { Scheduler, scheduleTask } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const task = scheduleTask(async () => "fetched", { scheduler });
 * await scheduler.run();
 * console.log(task.result); // fetched
 * ```
 */
export function scheduleTask(
  task: () => unknown,
  options: SpawnOptions & { scheduler?: Scheduler } = {},
): Thread {
  const scheduler = options.scheduler ?? getCurrentScheduler();
  return scheduler.spawn(function* () {
    const result = task();
    if (
      result !== null && typeof result === "object" &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      return yield* wait(result as PromiseLike<unknown>);
    }
    return result;
  }, { name: options.name ?? (task.name || "task") });
}

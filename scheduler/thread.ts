import type { Scheduler } from "./scheduler.ts";
import type { Signal } from "./signal.ts";
import {
  AWAITING,
  FILTER,
  GENERATOR,
  KILLED,
  ON_FINISHED,
  START,
  STASH,
} from "../internal/thread_slots.ts";

/**
 * What a thread yields to the scheduler: nothing (park until the next signal
 * for it) or a Promise (park until it settles; resumed with a
 * {@linkcode SettledSignal}).
 */
export type ThreadYield = void | PromiseLike<unknown>;

/** The generator that is a thread's body: it yields to park and is resumed with a {@linkcode Signal}. */
export type ThreadGenerator = Generator<ThreadYield, unknown, Signal>;

/**
 * A thread's body: a generator object, or a generator function that receives
 * the signal that starts it.
 */
export type ThreadBody = ThreadGenerator | ((start: Signal) => ThreadGenerator);

/**
 * Where a thread is in its life:
 * - `"new"`: spawned, not yet resumed;
 * - `"suspended"`: parked until a signal (or a settled Promise) resumes it;
 * - `"running"`: being resumed right now;
 * - `"dead"`: returned, threw, or was killed.
 */
export type ThreadState = "new" | "suspended" | "running" | "dead";

/** A predicate over signals; a thread waiting with one sets the others aside. */
export type SignalFilter = (signal: Signal) => boolean;

/**
 * A coroutine run by a {@linkcode Scheduler}. Threads are created with
 * {@linkcode Scheduler.spawn} (or `scheduleThread` inside another thread);
 * they are identified in logs by a stable `#id` and an optional name.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const thread = scheduler.spawn(function* () {
 *   return "done";
 * }, { name: "worker" });
 * console.log(String(thread)); // thread "worker"#1
 * await thread.finished;
 * console.log(thread.state, thread.result); // dead done
 * ```
 */
export class Thread {
  /** Unique within its scheduler, increasing in creation order. */
  readonly id: number;
  /** The scheduler that runs this thread. */
  readonly scheduler: Scheduler;
  /** Where the thread is in its life. */
  state: ThreadState = "new";
  /** The value the body returned, once dead. */
  result: unknown = undefined;
  /** What the body threw, once dead by an error (`undefined` otherwise). */
  error: unknown = undefined;

  /** @internal The running generator (created lazily for generator functions). */
  [GENERATOR]: ThreadGenerator | null;
  /** @internal The generator function, until first resumed. */
  [START]: ((start: Signal) => ThreadGenerator) | null;
  /** @internal While set, only signals passing it resume the thread. */
  [FILTER]: SignalFilter | null = null;
  /** @internal Signals set aside by the filter, re-queued when the thread next parks. */
  [STASH]: Signal[] | null = null;
  /** @internal Set by `Scheduler.kill`: queued signals for it are discarded, not reported. */
  [KILLED] = false;
  /** @internal Parked on a Promise that has not settled yet. */
  [AWAITING] = false;
  /** @internal Resolves `finished`. */
  [ON_FINISHED]: (() => void) | null = null;
  #finished: Promise<void> | null = null;
  /** The spawn options, whose `name` is read only when asked (see {@linkcode SpawnOptions}). */
  readonly #options: { readonly name?: string };

  /** @internal Use {@linkcode Scheduler.spawn}. */
  constructor(
    scheduler: Scheduler,
    id: number,
    body: ThreadBody,
    options: { readonly name?: string },
  ) {
    this.scheduler = scheduler;
    this.id = id;
    this.#options = options;
    if (typeof body === "function") {
      this[GENERATOR] = null;
      this[START] = body;
    } else {
      this[GENERATOR] = body;
      this[START] = null;
    }
  }

  /** A name for logs and error messages ("" for none). */
  get name(): string {
    return this.#options.name ?? "";
  }

  /** Settles when the thread is dead, however it ended (see `error` and `result`). */
  get finished(): Promise<void> {
    // Created on demand: most threads are never awaited and this keeps them cheap.
    if (this.#finished === null) {
      if (this.state === "dead") {
        this.#finished = Promise.resolve();
      } else {
        this.#finished = new Promise((resolve) => (this[ON_FINISHED] = resolve));
      }
    }
    return this.#finished;
  }

  /** Whether the thread can still be resumed. */
  get alive(): boolean {
    return this.state !== "dead";
  }

  /** `thread "name"#id`, or `thread #id` for an unnamed thread. */
  toString(): string {
    const name = this.name;
    return name === "" ? `thread #${this.id}` : `thread ${JSON.stringify(name)}#${this.id}`;
  }
}

import type { Thread } from "./thread.ts";

/**
 * A self-describing message that resumes one thread: it carries everything
 * the thread needs for that resume. The scheduler only ever sets
 * {@linkcode Signal.source}.
 *
 * Extend it for your own signals: `interface DataSignal extends Signal { kind: "data"; bytes: Uint8Array }`.
 *
 * @example
 * ```ts
 * import { Scheduler, type Signal } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const thread = scheduler.spawn(function* (first: Signal) {
 *   console.log(first.kind); // "start"
 *   const next = yield;
 *   console.log(next.kind); // "hello"
 * });
 * scheduler.push({ target: thread, kind: "hello" });
 * await scheduler.run();
 * ```
 */
export interface Signal {
  /** The thread this signal resumes. */
  readonly target: Thread;
  /** The thread that pushed the signal, set by the scheduler (`null` outside any thread). */
  source?: Thread | null;
  /** A short name for what the signal means; the scheduler's own are "start", "wake" and "settled". */
  readonly kind?: string;
  /** Further payload. */
  readonly [field: string]: unknown;
}

/**
 * The signal that resumes a thread waiting on a Promise.
 *
 * @example
 * ```ts
 * import { Scheduler, type SettledSignal } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * scheduler.spawn(function* () {
 *   const settled = (yield Promise.resolve(42)) as SettledSignal;
 *   console.log(settled.ok, settled.value); // true 42
 * });
 * await scheduler.run();
 * ```
 */
export interface SettledSignal extends Signal {
  /** Always `"settled"`: what tells this signal from others. */
  readonly kind: "settled";
  /** `true` when the Promise fulfilled, `false` when it rejected. */
  readonly ok: boolean;
  /** The fulfilment value (when `ok`). */
  readonly value?: unknown;
  /** The rejection reason (when not `ok`). */
  readonly error?: unknown;
}

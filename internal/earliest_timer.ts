/**
 * One scheduler timer for the earliest of many deadlines (a heap or queue
 * of them), re-armed only when an earlier one comes: a timer per deadline
 * would cost each a timer object, a closure and a push and a pop in the
 * scheduler's heap.
 *
 * @module
 */
import type { Scheduler, TimerHandle } from "../scheduler/mod.ts";

/** A re-armable scheduler timer that calls `fire` when due. */
export class EarliestTimer {
  readonly #scheduler: Scheduler;
  readonly #fire: () => void;
  #timer: TimerHandle | null = null;
  /** When it is armed for; Infinity while it is not. */
  due = Infinity;

  constructor(scheduler: Scheduler, fire: () => void) {
    this.#scheduler = scheduler;
    this.#fire = fire;
  }

  /** Arms it for `due` (in the scheduler's time), instead of when it was armed for. */
  arm(due: number): void {
    this.#timer?.cancel();
    this.due = due;
    this.#timer = this.#scheduler.setTimeout(Math.max(0, due - this.#scheduler.now()), this.#onDue);
  }

  /** Disarms it: nothing left to time, so the scheduler may go idle (`run()` resolves). */
  clear(): void {
    if (this.#timer === null) return;
    this.#timer.cancel();
    this.#timer = null;
    this.due = Infinity;
  }

  #onDue = (): void => {
    this.#timer = null;
    this.due = Infinity;
    this.#fire();
  };
}

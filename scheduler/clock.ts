/**
 * The time source of a scheduler. Injecting one lets tests run timers on
 * virtual time ({@linkcode VirtualClock}) while servers use
 * {@linkcode SystemClock}.
 *
 * @example
 * ```ts
 * import { type Clock, Scheduler, SystemClock } from "@hussar/core/scheduler";
 * const clock: Clock = new SystemClock();
 * const scheduler = new Scheduler({ clock });
 * console.log(typeof scheduler.now());
 * ```
 */
export interface Clock {
  /** Milliseconds on a monotonic timeline. */
  now(): number;
  /** Calls `wake` once, at or after time `at`; replaces any alarm set before. */
  setAlarm(at: number, wake: () => void): void;
  /** Cancels the pending alarm, if any. */
  clearAlarm(): void;
  /**
   * Called by the scheduler when nothing is left to do before its next timer
   * at `next`. A virtual clock may jump there and return `true`. A real
   * clock leaves it out (or returns `false`) and lets the alarm fire.
   */
  idle?(next: number): boolean;
}

/**
 * Real time: `performance.now()` and the host's timers.
 *
 * @example
 * ```ts
 * import { SystemClock } from "@hussar/core/scheduler";
 * const clock = new SystemClock();
 * const t0 = clock.now();
 * clock.setAlarm(t0 + 5, () => console.log("woke", clock.now() - t0 >= 5));
 * ```
 */
export class SystemClock implements Clock {
  #handle: ReturnType<typeof setTimeout> | undefined = undefined;

  /** Milliseconds from `performance.now()`. */
  now(): number {
    return performance.now();
  }

  /** Arms one host timer for `at`. */
  setAlarm(at: number, wake: () => void): void {
    this.clearAlarm();
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      wake();
    }, Math.max(0, Math.ceil(at - performance.now())));
  }

  /** Disarms the host timer. */
  clearAlarm(): void {
    if (this.#handle !== undefined) {
      clearTimeout(this.#handle);
      this.#handle = undefined;
    }
  }
}

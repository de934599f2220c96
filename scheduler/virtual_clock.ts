import type { Clock } from "./clock.ts";

/** Options for {@linkcode VirtualClock}. */
export interface VirtualClockOptions {
  /** Start time in milliseconds (default 0). */
  start?: number;
  /**
   * Jump to the next timer whenever the scheduler has nothing else to do
   * (default `true`). With `false`, time moves only by {@linkcode VirtualClock.advance}.
   */
  autoAdvance?: boolean;
}

/**
 * A clock that moves only when told, or (by default) jumps straight to the
 * next timer when the scheduler is idle. Timer and sleep tests then run in
 * microseconds and always see the same times.
 *
 * @example
 * ```ts
 * import { Scheduler, sleep, VirtualClock } from "@hussar/core/scheduler";
 * const clock = new VirtualClock();
 * const scheduler = new Scheduler({ clock });
 * scheduler.spawn(function* () {
 *   yield* sleep(60_000);
 *   console.log(clock.now()); // 60000, at once
 * });
 * await scheduler.run();
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #autoAdvance: boolean;
  #alarmAt = Infinity;
  #wake: (() => void) | null = null;

  /** Creates a virtual clock at `options.start` (default 0). */
  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.start ?? 0;
    this.#autoAdvance = options.autoAdvance ?? true;
  }

  /** The virtual time. */
  now(): number {
    return this.#now;
  }

  /** Records the alarm; it fires when virtual time reaches `at`. */
  setAlarm(at: number, wake: () => void): void {
    this.#alarmAt = at;
    this.#wake = wake;
  }

  /** Forgets the alarm. */
  clearAlarm(): void {
    this.#alarmAt = Infinity;
    this.#wake = null;
  }

  /** Jumps to `next` when auto-advancing. */
  idle(next: number): boolean {
    if (!this.#autoAdvance) return false;
    this.advanceTo(next);
    return true;
  }

  /** Moves time forward by `ms` and fires the alarm if it is due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `at` (never backwards) and fires the alarm if it is due. */
  advanceTo(at: number): void {
    if (at > this.#now) this.#now = at;
    if (this.#wake !== null && this.#alarmAt <= this.#now) {
      const wake = this.#wake;
      this.clearAlarm();
      wake();
    }
  }
}

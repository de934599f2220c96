/**
 * away: a by-signal coroutine scheduler. Threads are generators resumed by
 * self-describing signals, turn by turn, with timers on an injectable clock.
 *
 * @example
 * ```ts
 * import { Scheduler, sleep, VirtualClock } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler({ clock: new VirtualClock() });
 * scheduler.spawn(function* () {
 *   yield* sleep(1000);
 *   console.log("a virtual second later");
 * });
 * await scheduler.run();
 * ```
 *
 * @module
 */
export * from "./signal.ts";
export * from "./thread.ts";
export * from "./clock.ts";
export * from "./virtual_clock.ts";
export * from "./errors.ts";
export * from "./scheduler.ts";
export * from "./away.ts";
export * from "./stepper.ts";

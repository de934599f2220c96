/**
 * Errors that report a broken scheduling rule.
 *
 * @module
 */

/**
 * A signal was pushed to (or reached) a thread that has already finished.
 * Such a signal would otherwise be lost without a trace.
 *
 * @example
 * ```ts
 * import { DeadThreadError, Scheduler } from "@hussar/core/scheduler";
 * const scheduler = new Scheduler();
 * const thread = scheduler.spawn(function* () {}, { name: "short-lived" });
 * await scheduler.run();
 * try {
 *   scheduler.push({ target: thread, kind: "late" });
 * } catch (error) {
 *   console.log(error instanceof DeadThreadError, (error as Error).message);
 * }
 * ```
 */
export class DeadThreadError extends Error {
  /** Creates the error; `description` names the signal and both threads. */
  constructor(description: string) {
    super(description);
    this.name = "DeadThreadError";
  }
}

/**
 * A rule of the away model was broken while the scheduler ran in debug mode,
 * such as two signals for one thread in the same turn.
 *
 * @example
 * ```ts
 * import { AwayRuleError } from "@hussar/core/scheduler";
 * const error = new AwayRuleError("two signals for thread #3 in one turn");
 * console.log(error.name, error.message);
 * ```
 */
export class AwayRuleError extends Error {
  /** Creates the error with a message that names the offending thread. */
  constructor(message: string) {
    super(message);
    this.name = "AwayRuleError";
  }
}

/**
 * An away call (such as `sleep` or `getCurrentThread`) was made outside a
 * thread run by a scheduler.
 *
 * @example
 * ```ts
 * import { getCurrentThread, NotInThreadError } from "@hussar/core/scheduler";
 * try {
 *   getCurrentThread();
 * } catch (error) {
 *   console.log(error instanceof NotInThreadError);
 * }
 * ```
 */
export class NotInThreadError extends Error {
  /** Creates the error for the away call named `call`. */
  constructor(call: string) {
    super(`${call}() must be called from a thread run by a Scheduler`);
    this.name = "NotInThreadError";
  }
}

import type { Signal } from "./signal.ts";
import type { ThreadGenerator, ThreadYield } from "./thread.ts";

/**
 * A thread body written as a class instead of a generator: the scheduler
 * steps it with `next(signal)`, throws into it with `throw(error)` and kills
 * it with `return()`, as it does a generator. A long-lived thread (one per
 * connection, say) then keeps only its own fields between signals, not a
 * generator's frame and register file, and a step that parks returns the
 * shared {@linkcode Stepper.PARKED} instead of a new result object.
 *
 * Subclasses implement the three methods; {@linkcode Stepper.asThreadBody}
 * hands the object to `spawn` (or to whatever takes a
 * {@linkcode ThreadGenerator}), and it can be `yield*`ed like one.
 *
 * @example
 * ```ts
 * import { Scheduler, type Signal, Stepper } from "@hussar/core/scheduler";
 *
 * // Counts "tick" signals until one says "stop", then returns the count.
 * class Counter extends Stepper {
 *   #count = 0;
 *   next(signal: Signal): IteratorResult<void, number> {
 *     if (signal.kind === "stop") return { done: true, value: this.#count };
 *     if (signal.kind === "tick") this.#count++;
 *     return Stepper.PARKED;
 *   }
 *   return(value?: unknown): IteratorResult<void, unknown> {
 *     return { done: true, value };
 *   }
 *   throw(error: unknown): never {
 *     throw error;
 *   }
 * }
 *
 * const scheduler = new Scheduler();
 * const counter = scheduler.spawn(new Counter().asThreadBody());
 * scheduler.push({ target: counter, kind: "tick" });
 * scheduler.push({ target: counter, kind: "tick" });
 * scheduler.push({ target: counter, kind: "stop" });
 * await counter.finished;
 * console.log(counter.result); // 2
 * ```
 */
export abstract class Stepper {
  /** What a step that parks returns: one object for all, since nobody keeps it. */
  static readonly PARKED: IteratorYieldResult<undefined> = Object.freeze({
    done: false,
    value: undefined,
  });
  /** What a step that ends with no value returns, shared likewise. */
  static readonly DONE: IteratorReturnResult<undefined> = Object.freeze({
    done: true,
    value: undefined,
  });

  /** Resumes the body with the signal that woke its thread (`{ kind: "start" }` at first). */
  abstract next(signal: Signal): IteratorResult<ThreadYield, unknown>;
  /** Ends the body early (how the scheduler kills a thread); a body may yield in its cleanup. */
  abstract return(value?: unknown): IteratorResult<ThreadYield, unknown>;
  /** Throws `error` into the body where it parked. */
  abstract throw(error: unknown): IteratorResult<ThreadYield, unknown>;

  /** Itself, so that `yield*` steps it as it would a generator. */
  [Symbol.iterator](): this {
    return this;
  }

  /** This object typed as the body `spawn` takes (it needs none of a generator's helpers). */
  asThreadBody(): ThreadGenerator {
    return this as unknown as ThreadGenerator;
  }
}

import { type AwayCall, type Signal, Stepper, type ThreadYield } from "../scheduler/mod.ts";
import type { Descriptor } from "./descriptor.ts";
import { BODY_ENDED } from "./_slots.ts";

/** Who learns that a connection's thread body ended: the core. */
export interface BodyOwner {
  /** The body returned, threw (`failed`, with `error`), or was killed (returned early). */
  [BODY_ENDED](descriptor: Descriptor, failed: boolean, error: unknown): void;
}

const { DONE } = Stepper;

/**
 * A connection's thread: the handler's generator, stepped through, and the
 * core told once it ends however it ends. It does what a generator
 * `try { yield* body } catch { ... } finally { ... }` does, without that
 * generator's frame and register file, which every idle connection kept
 * (about 220 B on V8). The scheduler steps a thread with `next` and kills
 * it with `return`, all a body needs besides `throw`.
 */
export class BoundBody extends Stepper {
  readonly #owner: BodyOwner;
  readonly #descriptor: Descriptor;
  #body: AwayCall<unknown> | null;

  constructor(owner: BodyOwner, descriptor: Descriptor, body: AwayCall<unknown>) {
    super();
    this.#owner = owner;
    this.#descriptor = descriptor;
    this.#body = body;
  }

  /** The thread's name, for messages. */
  get name(): string {
    return `conn#${this.#descriptor.connection.id}`;
  }

  /** Resumes the body (the scheduler's way in). */
  next(signal: Signal): IteratorResult<ThreadYield, void> {
    const body = this.#body;
    if (body === null) return DONE;
    let step: IteratorResult<ThreadYield, unknown>;
    try {
      step = body.next(signal);
    } catch (error) {
      return this.#end(true, error);
    }
    return step.done ? this.#end(false, undefined) : step;
  }

  /** Ends the body early, running its `finally` blocks (how the scheduler kills a thread). */
  return(value?: unknown): IteratorResult<ThreadYield, void> {
    const body = this.#body;
    if (body === null) return DONE;
    let step: IteratorResult<ThreadYield, unknown>;
    try {
      step = body.return(value);
    } catch (error) {
      return this.#end(true, error);
    }
    // A body that yields in a `finally` is not done yet.
    return step.done ? this.#end(false, undefined) : step;
  }

  /** Throws into the body. */
  throw(error: unknown): IteratorResult<ThreadYield, void> {
    const body = this.#body;
    if (body === null) throw error;
    let step: IteratorResult<ThreadYield, unknown>;
    try {
      step = body.throw(error);
    } catch (thrown) {
      return this.#end(true, thrown);
    }
    return step.done ? this.#end(false, undefined) : step;
  }

  #end(failed: boolean, error: unknown): IteratorReturnResult<undefined> {
    this.#body = null;
    this.#owner[BODY_ENDED](this.#descriptor, failed, error);
    return DONE;
  }
}

import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  Scheduler,
  type Signal,
  Stepper,
  type ThreadYield,
  VirtualClock,
} from "../../scheduler/mod.ts";

/** Sums the `n` of "add" signals until "end"; records how it was stepped. */
class Summer extends Stepper {
  sum = 0;
  readonly calls: string[] = [];
  /** `signal` is undefined at the first step under `yield*`, as for a generator. */
  next(signal: Signal | undefined): IteratorResult<ThreadYield, number> {
    this.calls.push(`next ${signal?.kind}`);
    if (signal?.kind === "end") return { done: true, value: this.sum };
    if (signal?.kind === "add") this.sum += signal.n as number;
    return Stepper.PARKED;
  }
  return(value?: unknown): IteratorResult<ThreadYield, unknown> {
    this.calls.push("return");
    return { done: true, value };
  }
  throw(error: unknown): IteratorResult<ThreadYield, number> {
    this.calls.push(`throw ${(error as Error).message}`);
    return { done: true, value: -1 };
  }
}

function virtualScheduler(): Scheduler {
  return new Scheduler({ clock: new VirtualClock() });
}

describe("Stepper, a thread body written as a class", () => {
  it("is stepped by its thread's signals, starting with the start signal, to its result", async () => {
    const scheduler = virtualScheduler();
    const summer = new Summer();
    const thread = scheduler.spawn(summer.asThreadBody());
    scheduler.push({ target: thread, kind: "add", n: 2 });
    scheduler.push({ target: thread, kind: "add", n: 3 });
    scheduler.push({ target: thread, kind: "end" });
    await scheduler.run();
    assert.equal(thread.state, "dead");
    assert.equal(thread.result, 5);
    assert.deepEqual(summer.calls, ["next start", "next add", "next add", "next end"]);
  });

  it("is stepped by yield* inside a generator, its result the yield*'s value", async () => {
    const scheduler = virtualScheduler();
    const summer = new Summer();
    const outer = scheduler.spawn(function* () {
      const sum = yield* summer;
      return `sum ${sum}`;
    });
    scheduler.push({ target: outer, kind: "add", n: 7 });
    scheduler.push({ target: outer, kind: "end" });
    await scheduler.run();
    assert.equal(outer.result, "sum 7");
    // yield* starts it with no signal, then passes each signal on.
    assert.deepEqual(summer.calls, ["next undefined", "next add", "next end"]);
  });

  it("gets return() when its thread is killed, and parks on the shared PARKED result", async () => {
    const scheduler = virtualScheduler();
    const summer = new Summer();
    const thread = scheduler.spawn(summer.asThreadBody());
    assert.equal(Object.isFrozen(Stepper.PARKED) && Object.isFrozen(Stepper.DONE), true);
    assert.deepEqual([Stepper.PARKED.done, Stepper.DONE.done], [false, true]);
    scheduler.push({ target: thread, kind: "add", n: 1 });
    await scheduler.run();
    assert.equal(thread.state, "suspended");
    scheduler.kill(thread);
    await scheduler.run();
    assert.equal(thread.state, "dead");
    assert.deepEqual(summer.calls, ["next start", "next add", "return"]);
  });
});

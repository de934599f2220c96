import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  type Clock,
  DeadThreadError,
  Scheduler,
  type Signal,
  sleep,
  SystemClock,
  type Thread,
  VirtualClock,
  wait,
} from "../../scheduler/mod.ts";

function virtual(): { clock: VirtualClock; scheduler: Scheduler } {
  const clock = new VirtualClock();
  return { clock, scheduler: new Scheduler({ clock }) };
}

describe("Scheduler: timers", () => {
  it("fires timers in due-time order whatever order they were created in", async () => {
    const { scheduler } = virtual();
    const fired: string[] = [];
    for (const [ms, name] of [[30, "c"], [10, "a"], [50, "e"], [20, "b"], [40, "d"]] as const) {
      scheduler.setTimeout(ms, () => fired.push(`${name}@${scheduler.now()}`));
    }
    await scheduler.run();
    assert.deepEqual(fired, ["a@10", "b@20", "c@30", "d@40", "e@50"]);
  });

  it("fires timers due at the same time in creation order", async () => {
    const { scheduler } = virtual();
    const fired: number[] = [];
    for (let i = 0; i < 20; i++) scheduler.setTimeout(5, () => fired.push(i));
    await scheduler.run();
    assert.deepEqual(fired, Array.from({ length: 20 }, (_, i) => i));
  });

  it("keeps the order for many interleaved timers (heap, not an unsorted list)", async () => {
    const { scheduler } = virtual();
    const fired: number[] = [];
    const delays = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    for (const ms of delays) scheduler.setTimeout(ms, () => fired.push(scheduler.now()));
    await scheduler.run();
    assert.equal(fired.length, 500);
    assert.deepEqual(fired, [...delays].sort((a, b) => a - b));
  });

  it("pushes a timer's signal into the turn in which it falls due", async () => {
    const { scheduler } = virtual();
    let resumedAt = -1;
    let resumedTurn = -1;
    const thread = scheduler.spawn(function* () {
      const signal = yield;
      resumedAt = scheduler.now();
      resumedTurn = scheduler.turn;
      assert.equal(signal.kind, "ring");
    });
    let firedTurn = -1;
    scheduler.setTimeout(100, () => (firedTurn = scheduler.turn));
    scheduler.setTimeout(100, { target: thread, kind: "ring" });
    await scheduler.run();
    assert.equal(resumedAt, 100);
    assert.equal(resumedTurn, firedTurn);
  });

  it("sets a timer signal's source to the thread that created the timer", async () => {
    const { scheduler } = virtual();
    let source: Thread | null | undefined;
    const listener = scheduler.spawn(function* () {
      source = (yield).source;
    });
    const creator = scheduler.spawn(function* () {
      scheduler.setTimeout(5, { target: listener, kind: "later" });
    });
    await scheduler.run();
    assert.equal(source, creator);
  });

  it("never fires a cancelled timer, and cancelling twice is harmless", async () => {
    const { scheduler } = virtual();
    const fired: string[] = [];
    const keep = scheduler.setTimeout(10, () => fired.push("keep"));
    const drop = scheduler.setTimeout(5, () => fired.push("drop"));
    assert.equal(scheduler.timerCount, 2);
    drop.cancel();
    drop.cancel();
    assert.equal(drop.active, false);
    assert.equal(scheduler.timerCount, 1);
    await scheduler.run();
    assert.deepEqual(fired, ["keep"]);
    assert.equal(keep.active, false);
    assert.equal(scheduler.timerCount, 0);
  });

  it("purges many cancelled timers without disturbing the live ones", async () => {
    const { scheduler } = virtual();
    const fired: number[] = [];
    const handles = Array.from(
      { length: 300 },
      (_, i) => scheduler.setTimeout(1000 - i, () => fired.push(i)),
    );
    handles.forEach((handle, i) => i % 3 !== 0 && handle.cancel());
    assert.equal(scheduler.timerCount, 100);
    await scheduler.run();
    assert.deepEqual(fired, handles.map((_, i) => i).filter((i) => i % 3 === 0).reverse());
  });

  it("repeats a setRepeat timer every period until cancelled", async () => {
    const { scheduler } = virtual();
    const at: number[] = [];
    const handle = scheduler.setRepeat(25, () => {
      at.push(scheduler.now());
      if (at.length === 4) handle.cancel();
    });
    await scheduler.run();
    assert.deepEqual(at, [25, 50, 75, 100]);
    assert.equal(scheduler.timerCount, 0);
  });

  it("does not fire a backlog of repeats in a burst after the clock jumps", async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const scheduler = new Scheduler({ clock });
    const at: number[] = [];
    const handle = scheduler.setRepeat(10, () => at.push(clock.now()));
    await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(55);
    await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(10);
    await new Promise((resolve) => setTimeout(resolve, 5));
    handle.cancel();
    assert.deepEqual(at, [55, 65]);
  });

  it("rejects invalid delays, periods and actions", () => {
    const { scheduler } = virtual();
    assert.throws(() => scheduler.setTimeout(-1, () => {}), RangeError);
    assert.throws(() => scheduler.setTimeout(Number.NaN, () => {}), RangeError);
    assert.throws(() => scheduler.setTimeout(Infinity, () => {}), RangeError);
    assert.throws(() => scheduler.setRepeat(0, () => {}), RangeError);
    assert.throws(() => scheduler.setTimeout(1, {} as Signal), TypeError);
  });

  it("reports a timer callback's error and keeps running", async () => {
    const errors: [unknown, Thread | null][] = [];
    const scheduler = new Scheduler({
      clock: new VirtualClock(),
      onError: (e, t) => errors.push([e, t]),
    });
    let after = false;
    scheduler.setTimeout(1, () => {
      throw new Error("tick failed");
    });
    scheduler.setTimeout(2, () => (after = true));
    await scheduler.run();
    assert.equal(errors.length, 1);
    assert.equal((errors[0][0] as Error).message, "tick failed");
    assert.equal(errors[0][1], null);
    assert.ok(after);
  });

  it("reports a timer signal for a thread that died meanwhile", async () => {
    const errors: unknown[] = [];
    const scheduler = new Scheduler({ clock: new VirtualClock(), onError: (e) => errors.push(e) });
    const brief = scheduler.spawn(function* () {}, { name: "brief" });
    scheduler.setTimeout(10, { target: brief, kind: "too-late" });
    await scheduler.run();
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof DeadThreadError);
    assert.match((errors[0] as Error).message, /"too-late" reached finished thread "brief"/);
  });

  it("runs real-time timers on the system clock", async () => {
    const scheduler = new Scheduler();
    const started = performance.now();
    let elapsed = -1;
    scheduler.spawn(function* () {
      yield* sleep(20);
      elapsed = performance.now() - started;
    });
    await scheduler.run();
    assert.ok(elapsed >= 19, `slept ${elapsed} ms`);
  });

  it("jumps a virtual clock only once threads waiting on Promises had a chance to settle", async () => {
    const clock = new VirtualClock();
    const scheduler = new Scheduler({ clock });
    const order: string[] = [];
    scheduler.setTimeout(1000, () => order.push(`timer@${clock.now()}`));
    scheduler.spawn(function* () {
      // In-memory async work: a chain of Promise jobs, no host timer.
      yield (async () => {
        for (let i = 0; i < 10; i++) await null;
      })();
      order.push(`promise@${clock.now()}`);
    });
    await scheduler.run();
    assert.deepEqual(order, ["promise@0", "timer@1000"]);
  });
});

describe("Scheduler: reading the clock", () => {
  it("reads the clock once per tick: within one, now() is the time the tick began", async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const scheduler = new Scheduler({ clock });
    const seen: number[] = [];
    await scheduler.spawn(function* () {
      seen.push(scheduler.now());
      clock.advance(50);
      seen.push(scheduler.now());
      yield* wait(new Promise((resolve) => setImmediate(resolve))); // a later tick
      seen.push(scheduler.now());
    }).finished;
    assert.deepEqual(seen, [0, 0, 50]);
    assert.equal(scheduler.now(), 50, "between ticks, the clock itself");
  });

  it("re-arms the host alarm only when the next timer comes earlier", async () => {
    const real = new SystemClock();
    const armed: number[] = [];
    const clock: Clock = {
      now: () => real.now(),
      setAlarm: (at, wake) => {
        armed.push(at);
        real.setAlarm(at, wake);
      },
      clearAlarm: () => real.clearAlarm(),
    };
    const scheduler = new Scheduler({ clock });
    const far = scheduler.setTimeout(60_000, () => {});
    await scheduler.spawn(function* () {
      // Twenty ticks, each ending with the far timer still the next one.
      for (let i = 0; i < 20; i++) yield* wait(Promise.resolve());
    }).finished;
    assert.equal(armed.length, 1, "armed once for the far timer");
    const near = scheduler.setTimeout(10_000, () => {});
    await scheduler.spawn(function* () {}).finished;
    assert.equal(armed.length, 2, "armed again for an earlier timer");
    far.cancel();
    near.cancel();
    scheduler.stop();
  });
});

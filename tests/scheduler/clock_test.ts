import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type Clock, SystemClock, VirtualClock } from "../../scheduler/mod.ts";

describe("VirtualClock", () => {
  it("starts at the given time and moves only when advanced", () => {
    const clock = new VirtualClock({ start: 500 });
    assert.equal(clock.now(), 500);
    clock.advance(250);
    assert.equal(clock.now(), 750);
    clock.advanceTo(100);
    assert.equal(clock.now(), 750, "never moves backwards");
  });

  it("fires the alarm once when time reaches it, and not after clearAlarm", () => {
    const clock = new VirtualClock();
    let woke = 0;
    clock.setAlarm(10, () => woke++);
    clock.advance(9);
    assert.equal(woke, 0);
    clock.advance(1);
    assert.equal(woke, 1);
    clock.advance(100);
    assert.equal(woke, 1);
    clock.setAlarm(200, () => woke++);
    clock.clearAlarm();
    clock.advance(1000);
    assert.equal(woke, 1);
  });

  it("a new alarm replaces the previous one", () => {
    const clock = new VirtualClock();
    const woke: string[] = [];
    clock.setAlarm(10, () => woke.push("first"));
    clock.setAlarm(20, () => woke.push("second"));
    clock.advance(30);
    assert.deepEqual(woke, ["second"]);
  });

  it("jumps to the next timer when idle only if auto-advancing", () => {
    const auto = new VirtualClock();
    assert.equal(auto.idle(42), true);
    assert.equal(auto.now(), 42);
    const manual = new VirtualClock({ autoAdvance: false });
    assert.equal(manual.idle(42), false);
    assert.equal(manual.now(), 0);
  });

  it("rejects a negative advance", () => {
    assert.throws(() => new VirtualClock().advance(-1), RangeError);
  });
});

describe("SystemClock", () => {
  it("is monotonic and fires its alarm on real time", async () => {
    const clock = new SystemClock();
    const t0 = clock.now();
    const woke = await new Promise<number>((resolve) =>
      clock.setAlarm(t0 + 10, () => resolve(clock.now()))
    );
    assert.ok(woke - t0 >= 9, `woke after ${woke - t0} ms`);
    assert.equal((clock as Clock).idle, undefined, "real time never jumps");
  });

  it("clearAlarm cancels the pending host timer", async () => {
    const clock = new SystemClock();
    let woke = false;
    clock.setAlarm(clock.now() + 5, () => (woke = true));
    clock.clearAlarm();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(woke, false);
  });
});

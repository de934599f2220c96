import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Batch } from "../../internal/batch.ts";

describe("Batch: the core's per-turn lists", () => {
  it("hands its items over in order; those pushed during a drain wait for the next", () => {
    const batch = new Batch<number>();
    const seen: number[] = [];
    batch.push(1);
    batch.push(2);
    batch.drain((item) => {
      seen.push(item);
      if (item === 1) batch.push(3);
    });
    assert.deepEqual(seen, [1, 2]);
    assert.equal(batch.size, 1);
    batch.drain((item) => seen.push(item));
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(batch.size, 0);
  });

  it("drains the first `count` items; the rest stay ahead of those pushed meanwhile", () => {
    const batch = new Batch<number>();
    batch.push(1);
    batch.push(2);
    batch.push(3);
    const seen: number[] = [];
    batch.drain((item) => {
      seen.push(item);
      batch.push(item * 10);
    }, 1);
    assert.deepEqual(seen, [1]);
    batch.drain((item) => seen.push(item));
    assert.deepEqual(seen, [1, 2, 3, 10]);
    assert.equal(batch.storesMade, 2);
  });

  it("keeps the items `retain` says to, in order", () => {
    const batch = new Batch<number>();
    for (let i = 0; i < 6; i++) batch.push(i);
    batch.retain((item) => item % 2 === 1);
    assert.equal(batch.size, 3);
    const seen: number[] = [];
    batch.drain((item) => seen.push(item));
    assert.deepEqual(seen, [1, 3, 5]);
  });

  it("makes no array per round: 1,000 turns of pushes and drains keep its two", () => {
    // An array emptied with `length = 0` or replaced by `[]` allocated a store per turn.
    const batch = new Batch<object>();
    const item = {};
    for (let round = 0; round < 1000; round++) {
      for (let i = 0; i < 1 + (round % 20); i++) batch.push(item);
      batch.drain(() => {});
    }
    assert.equal(batch.storesMade, 2);
  });

  it("a drain nested in another makes an array of its own, then the two are kept", () => {
    const batch = new Batch<number>();
    const seen: number[] = [];
    batch.push(1);
    batch.drain(() => {
      batch.push(2);
      batch.drain((item) => seen.push(item));
    });
    assert.deepEqual(seen, [2]);
    assert.equal(batch.storesMade, 3);
    for (let round = 0; round < 10; round++) {
      batch.push(round);
      batch.drain(() => {});
    }
    assert.equal(batch.storesMade, 3);
  });

  it("drops the rest of the drained items when `each` throws; later items still come", () => {
    const batch = new Batch<number>();
    batch.push(1);
    batch.push(2);
    assert.throws(() =>
      batch.drain(() => {
        throw new Error("boom");
      }), /boom/);
    assert.equal(batch.size, 0);
    batch.push(3);
    const seen: number[] = [];
    batch.drain((item) => seen.push(item));
    assert.deepEqual(seen, [3]);
  });
});

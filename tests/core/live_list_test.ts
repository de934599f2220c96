import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { LiveList } from "../../core/_list.ts";
import { NEXT, PREV } from "../../core/_slots.ts";

class Item {
  [PREV]: Item | null = null;
  [NEXT]: Item | null = null;
  constructor(readonly name: string) {}
}

const names = (list: LiveList<Item>): string[] => list.toArray().map((item) => item.name);

describe("LiveList", () => {
  it("keeps items in the order added as the first, middle and last go, leaving each no link", () => {
    const list = new LiveList<Item>();
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => new Item(name));
    for (const item of [a, b, c, d]) list.add(item);
    assert.deepEqual(names(list), ["a", "b", "c", "d"]);
    list.delete(b);
    list.delete(a);
    list.delete(d);
    assert.deepEqual(names(list), ["c"]);
    assert.equal(list.size, 1);
    assert.equal(list.first, c);
    for (const item of [a, b, d]) assert.deepEqual([item[PREV], item[NEXT]], [null, null]);
    list.add(a);
    assert.deepEqual(names(list), ["c", "a"]);
    assert.equal(c[NEXT], a);
    assert.equal(a[PREV], c);
  });

  it("leaves an item it does not hold alone, and the list as it was", () => {
    const list = new LiveList<Item>();
    const [a, b] = [new Item("a"), new Item("b")];
    list.add(a);
    list.delete(b);
    list.delete(a);
    list.delete(a);
    assert.equal(list.size, 0);
    assert.equal(list.first, null);
    list.add(b);
    assert.deepEqual(names(list), ["b"]);
  });

  it("gives a copy to walk: deleting while walking it skips nothing", () => {
    const list = new LiveList<Item>();
    for (const name of ["a", "b", "c"]) list.add(new Item(name));
    const seen: string[] = [];
    for (const item of list.toArray()) {
      seen.push(item.name);
      list.delete(item);
    }
    assert.deepEqual(seen, ["a", "b", "c"]);
    assert.equal(list.size, 0);
  });
});

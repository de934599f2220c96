/**
 * The core's lists of live things (descriptors, shuttle threads): linked
 * through the items themselves, in the order they were added. Not a `Map`
 * or `Set`: under churn those rehash their table every so many entries, and
 * each old table (soon in old space) keeps its successor and its entries,
 * so V8's minor collections, which treat old space as live, kept every
 * connection since alive until a major one.
 *
 * @module
 */
import { NEXT, PREV } from "./_slots.ts";

/** What a {@linkcode LiveList} links: two symbol-keyed fields, `null` while not listed. */
export interface Linked<T> {
  [PREV]: T | null;
  [NEXT]: T | null;
}

/** Items in the order they were added; each is in one list at most. */
export class LiveList<T extends Linked<T>> {
  #first: T | null = null;
  #last: T | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get first(): T | null {
    return this.#first;
  }

  add(item: T): void {
    const last = this.#last;
    if (last === null) this.#first = item;
    else {
      last[NEXT] = item;
      item[PREV] = last;
    }
    this.#last = item;
    this.#size++;
  }

  /** Takes `item` out, leaving it no link; an item not listed is left alone. */
  delete(item: T): void {
    const prev = item[PREV];
    const next = item[NEXT];
    if (prev === null && this.#first !== item) return;
    if (prev === null) this.#first = next;
    else prev[NEXT] = next;
    if (next === null) this.#last = prev;
    else next[PREV] = prev;
    item[PREV] = item[NEXT] = null;
    this.#size--;
  }

  /** The items now, in order (a copy: deleting some while walking it disturbs nothing). */
  toArray(): T[] {
    const items: T[] = [];
    for (let item = this.#first; item !== null; item = item[NEXT]) items.push(item);
    return items;
  }
}

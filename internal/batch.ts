/**
 * Per-turn lists (the core's connections with output to flush, watches to
 * start, threads that ended; the scheduler's tasks after a host task):
 * filled during a turn or a host task and emptied all at once after it. An array emptied with `length = 0` (or
 * replaced by `[]`) loses its store in V8, and the next push allocates
 * another of 17 slots (~150 B on Node), once per turn with a write, that is
 * once per churned connection; a batch keeps its two arrays and a count.
 *
 * @module
 */

/** Items added one by one and handed over all at once, in order. */
export class Batch<T> {
  #items: (T | undefined)[] = [];
  /** The other array, while no `drain()` runs; `null` during one (a nested one makes its own). */
  #spare: (T | undefined)[] | null = [];
  #count = 0;
  /** Arrays made so far (two at first): for tests, which count them. */
  storesMade = 2;

  /** Items waiting. */
  get size(): number {
    return this.#count;
  }

  push(item: T): void {
    this.#items[this.#count++] = item;
  }

  /**
   * Takes the first `count` items (all by default) out and calls `each` with
   * them in order; the others, and items pushed meanwhile, wait for the next
   * `drain()`. If `each` throws, the taken items after it are dropped, as
   * when a list was replaced before its loop.
   */
  drain(each: (item: T) => void, count: number = this.#count): void {
    if (count === 0) return;
    const items = this.#items;
    let next = this.#spare;
    if (next === null) {
      next = [];
      this.storesMade++;
    }
    let rest = 0;
    for (let i = count; i < this.#count; i++) {
      next[rest++] = items[i];
      items[i] = undefined;
    }
    this.#items = next;
    this.#spare = null;
    this.#count = rest;
    for (let i = 0; i < count; i++) {
      const item = items[i] as T;
      items[i] = undefined; // the array outlives the turn, the item need not
      each(item);
    }
    this.#spare = items;
  }

  /** Keeps the items for which `keep` says true, in order; the others are dropped. */
  retain(keep: (item: T) => boolean): void {
    const items = this.#items;
    const count = this.#count;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const item = items[i] as T;
      if (keep(item)) items[kept++] = item;
    }
    for (let i = kept; i < count; i++) items[i] = undefined;
    this.#count = kept;
  }
}

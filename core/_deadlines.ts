import type { Scheduler } from "../scheduler/mod.ts";
import { EarliestTimer } from "../internal/earliest_timer.ts";
import type { Descriptor } from "./descriptor.ts";
import { DEADLINE_AT, DEADLINE_DUE } from "./_slots.ts";

/**
 * The connections' deadlines: a min-heap of descriptors (each knows its
 * place in it) under one scheduler timer, armed for the earliest. A timer
 * per connection cost each idle one two or three timer objects and their
 * closures (the armed one, and one cancelled when a deadline came earlier,
 * left in the scheduler's heap until purged).
 *
 * An entry moves only earlier: a later deadline leaves it where it is, and
 * the owner's `onDue` puts it back for the later time when it comes up (a
 * protocol moves its deadline several times per exchange, mostly later).
 */
export class DeadlineHeap {
  readonly #scheduler: Scheduler;
  readonly #onDue: (descriptor: Descriptor) => void;
  readonly #items: Descriptor[] = [];
  readonly #timer: EarliestTimer;
  #firing = false;

  /** `onDue` gets each descriptor that comes up, already out of the heap. */
  constructor(scheduler: Scheduler, onDue: (descriptor: Descriptor) => void) {
    this.#scheduler = scheduler;
    this.#onDue = onDue;
    this.#timer = new EarliestTimer(scheduler, this.#fire);
  }

  /** Makes `descriptor` come up at `due`, unless it comes up earlier already. */
  schedule(descriptor: Descriptor, due: number): void {
    const at = descriptor[DEADLINE_AT];
    if (at === -1) {
      descriptor[DEADLINE_DUE] = due;
      descriptor[DEADLINE_AT] = this.#items.length;
      this.#items.push(descriptor);
      this.#up(this.#items.length - 1);
    } else if (due < descriptor[DEADLINE_DUE]) {
      descriptor[DEADLINE_DUE] = due;
      this.#up(at);
    } else {
      return;
    }
    if (due < this.#timer.due && !this.#firing) this.#timer.arm(due);
  }

  /** Takes `descriptor` out (it will not come up). */
  remove(descriptor: Descriptor): void {
    const at = descriptor[DEADLINE_AT];
    if (at === -1) return;
    descriptor[DEADLINE_AT] = -1;
    descriptor[DEADLINE_DUE] = Infinity;
    const items = this.#items;
    const last = items.pop()!;
    if (at < items.length) {
      items[at] = last;
      last[DEADLINE_AT] = at;
      this.#down(at);
      this.#up(last[DEADLINE_AT]);
    }
    // Nothing left to time: the scheduler may go idle (run() resolves).
    if (items.length === 0) this.#timer.clear();
  }

  #fire = (): void => {
    const items = this.#items;
    const now = this.#scheduler.now();
    this.#firing = true;
    try {
      while (items.length > 0 && items[0][DEADLINE_DUE] <= now) {
        const descriptor = items[0];
        this.remove(descriptor);
        this.#onDue(descriptor);
      }
    } finally {
      this.#firing = false;
      if (items.length > 0) this.#timer.arm(items[0][DEADLINE_DUE]);
    }
  };

  #up(at: number): void {
    const items = this.#items;
    const item = items[at];
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (items[parent][DEADLINE_DUE] <= item[DEADLINE_DUE]) break;
      items[at] = items[parent];
      items[at][DEADLINE_AT] = at;
      at = parent;
    }
    items[at] = item;
    item[DEADLINE_AT] = at;
  }

  #down(at: number): void {
    const items = this.#items;
    const item = items[at];
    const n = items.length;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right][DEADLINE_DUE] < items[left][DEADLINE_DUE]
        ? right
        : left;
      if (items[child][DEADLINE_DUE] >= item[DEADLINE_DUE]) break;
      items[at] = items[child];
      items[at][DEADLINE_AT] = at;
      at = child;
    }
    items[at] = item;
    item[DEADLINE_AT] = at;
  }
}

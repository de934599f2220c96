/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of fields bounded by
 * a size in octets, kept in a ring so that adding and evicting allocate
 * nothing once it has grown.
 *
 * @module
 */

/** Octets an entry counts for: name + value + 32 (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;

/** A dynamic table; entry 0 is the newest (dynamic index 62 on the wire). */
export class DynamicTable {
  #names: string[] = new Array(16);
  #values: string[] = new Array(16);
  #mask = 15;
  #first = 0; // ring position of the oldest entry
  #count = 0;
  #size = 0;
  #maxSize: number;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** Number of entries. */
  get length(): number {
    return this.#count;
  }

  /** Sum of the entries' sizes (§4.1). */
  get size(): number {
    return this.#size;
  }

  /** The current maximum size (§4.2). */
  get maxSize(): number {
    return this.#maxSize;
  }

  /** Name of entry `i` (0 = newest); `i` must be below {@linkcode length}. */
  name(i: number): string {
    return this.#names[(this.#first + this.#count - 1 - i) & this.#mask];
  }

  /** Value of entry `i` (0 = newest). */
  value(i: number): string {
    return this.#values[(this.#first + this.#count - 1 - i) & this.#mask];
  }

  /**
   * Adds a field, evicting the oldest entries to make room; a field larger
   * than the maximum size empties the table and is not added (§4.4).
   */
  add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.#maxSize) {
      this.#evictTo(0);
      return;
    }
    this.#evictTo(this.#maxSize - size);
    if (this.#count === this.#mask + 1) this.#grow();
    const at = (this.#first + this.#count) & this.#mask;
    this.#names[at] = name;
    this.#values[at] = value;
    this.#count++;
    this.#size += size;
  }

  /** Changes the maximum size, evicting entries until they fit (§4.3). */
  setMaxSize(maxSize: number): void {
    this.#maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  #evictTo(size: number): void {
    while (this.#size > size) {
      const at = this.#first;
      this.#size -= this.#names[at].length + this.#values[at].length + ENTRY_OVERHEAD;
      this.#names[at] = this.#values[at] = ""; // let the strings be collected
      this.#first = (at + 1) & this.#mask;
      this.#count--;
    }
  }

  #grow(): void {
    const capacity = (this.#mask + 1) * 2;
    const names = new Array<string>(capacity);
    const values = new Array<string>(capacity);
    for (let i = 0; i < this.#count; i++) {
      names[i] = this.#names[(this.#first + i) & this.#mask];
      values[i] = this.#values[(this.#first + i) & this.#mask];
    }
    this.#names = names;
    this.#values = values;
    this.#mask = capacity - 1;
    this.#first = 0;
  }
}

/**
 * A byte search for the benchmark's own servers (the raw loop, the floor),
 * which use none of hussar's code to scan.
 *
 * @module
 */

/**
 * Where `needle` first occurs in `bytes`, or -1: the raw loop's and the
 * floor's byte search. Lengths are read once, outside the loops: Node 26's
 * optimized code called a typed array's `length` getter at each byte.
 */
export function indexOf(bytes: Uint8Array, needle: Uint8Array): number {
  const size = needle.length;
  const last = bytes.length - size;
  outer: for (let i = 0; i <= last; i++) {
    for (let j = 0; j < size; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

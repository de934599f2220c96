/**
 * The HPACK Huffman code (RFC 7541 §5.2, Appendix B): encoding, and decoding
 * four bits at a time through a state table built once from the code.
 *
 * @module
 */

import { CompressionError } from "./errors.ts";

/**
 * Code lengths of symbols 0..256 (256 is EOS), RFC 7541 Appendix B. The
 * code is canonical (codes of one length are consecutive, in symbol order,
 * and follow on from the shorter ones), so the lengths determine it.
 */
// deno-fmt-ignore
const LENGTHS = new Uint8Array([
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
]);

const EOS = 256;

/** Code of each symbol, right-aligned in LENGTHS[sym] bits. */
const CODES: Uint32Array = (() => {
  const order = Array.from(LENGTHS.keys()).sort((a, b) => LENGTHS[a] - LENGTHS[b] || a - b);
  const codes = new Uint32Array(LENGTHS.length);
  let code = 0;
  let length = LENGTHS[order[0]];
  for (const sym of order) {
    code *= 2 ** (LENGTHS[sym] - length);
    length = LENGTHS[sym];
    codes[sym] = code++;
  }
  return codes;
})();

// Decoding: a state is an internal node of the code tree (0 is the root).
// For each state and nibble, DECODE holds the next state, the symbol emitted
// on the way (if any), and whether the bits since the last symbol may end
// the string: at most 7 bits, all ones, a prefix of EOS (§5.2).
const EMIT = 0x100;
const ACCEPT = 0x200;
const FAIL = 0x400;
/** `(next state << 16) | flags | symbol`, indexed by `state * 16 + nibble`. */
const DECODE: Uint32Array = (() => {
  // Tree: children of node n at tree[2n], tree[2n + 1]; a leaf is -1 - symbol.
  const tree: number[] = [0, 0];
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    let node = 0;
    for (let bit = LENGTHS[sym] - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((CODES[sym] >>> bit) & 1);
      if (bit === 0) {
        tree[slot] = -1 - sym;
      } else {
        if (tree[slot] === 0) {
          tree[slot] = nodes++;
          tree.push(0, 0);
        }
        node = tree[slot];
      }
    }
  }
  // Depth and all-ones-ness of each internal node, for the padding rule.
  const depth = new Int32Array(nodes);
  const ones = new Uint8Array(nodes);
  ones[0] = 1;
  for (let n = 0; n < nodes; n++) {
    for (let bit = 0; bit < 2; bit++) {
      const child = tree[2 * n + bit];
      if (child > 0) {
        depth[child] = depth[n] + 1;
        ones[child] = ones[n] & bit;
      }
    }
  }
  const table = new Uint32Array(nodes * 16);
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let flags = 0;
      let sym = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const next = tree[2 * node + ((nibble >>> bit) & 1)];
        if (next < 0) {
          sym = -1 - next;
          if (sym === EOS) flags = FAIL; // an EOS symbol in the string is an error
          else flags |= EMIT;
          node = 0;
        } else {
          node = next;
        }
        if (flags & FAIL) break;
      }
      if (!(flags & FAIL) && (node === 0 || (ones[node] === 1 && depth[node] <= 7))) {
        flags |= ACCEPT;
      }
      table[state * 16 + nibble] = (node << 16) | flags | (sym & 0xff);
    }
  }
  return table;
})();

/**
 * Decodes the Huffman-coded octets `buf[start, end)` into a byte string
 * (one char per octet). Throws {@linkcode CompressionError} on an EOS
 * symbol, on padding longer than 7 bits, or on padding that is not the
 * most significant bits of EOS (all ones), as §5.2 requires.
 */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  let state = 0;
  let accept = true;
  let out = "";
  // Chunked String.fromCharCode keeps long values from building char by char.
  const chunk = CHUNK;
  let n = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i];
    let entry = DECODE[state * 16 + (byte >>> 4)];
    if (entry & FAIL) throw new CompressionError("EOS symbol in a Huffman-coded string");
    if (entry & EMIT) chunk[n++] = entry & 0xff;
    state = entry >>> 16;
    entry = DECODE[state * 16 + (byte & 0xf)];
    if (entry & FAIL) throw new CompressionError("EOS symbol in a Huffman-coded string");
    if (entry & EMIT) chunk[n++] = entry & 0xff;
    state = entry >>> 16;
    accept = (entry & ACCEPT) !== 0;
    if (n >= CHUNK_FLUSH) {
      out += String.fromCharCode.apply(null, chunk.subarray(0, n) as unknown as number[]);
      n = 0;
    }
  }
  if (!accept) throw new CompressionError("invalid Huffman padding");
  if (n > 0) out += String.fromCharCode.apply(null, chunk.subarray(0, n) as unknown as number[]);
  return out;
}

const CHUNK = new Uint16Array(4096);
const CHUNK_FLUSH = CHUNK.length - 4;

/** Octets the Huffman coding of byte string `s` takes (its chars must be ≤ 0xff). */
export function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += LENGTHS[s.charCodeAt(i) & 0xff];
  return (bits + 7) >>> 3;
}

/**
 * Writes the Huffman coding of byte string `s` at `out[pos]`, padded with
 * the high bits of EOS, and returns the position after it. `out` must have
 * room for {@linkcode huffmanLength}(s) octets.
 */
export function huffmanEncode(s: string, out: Uint8Array, pos: number): number {
  // Pending bits wait in `acc` (at most 7 + 30 of them: a float holds them exactly).
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    acc = acc * POW2[LENGTHS[sym]] + CODES[sym];
    bits += LENGTHS[sym];
    while (bits >= 8) {
      bits -= 8;
      const byte = Math.floor(acc / POW2[bits]);
      out[pos++] = byte;
      acc -= byte * POW2[bits];
    }
  }
  if (bits > 0) out[pos++] = (acc << (8 - bits)) | (0xff >>> bits);
  return pos;
}

const POW2: Float64Array = Float64Array.from({ length: 38 }, (_, i) => 2 ** i);

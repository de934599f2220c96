/**
 * HPACK (RFC 7541): the header compression of HTTP/2. The decoder is the
 * server's defence line: every size it works with is bounded (dynamic table,
 * integers, strings, the decoded header list), and each bound is enforced
 * as the block is read, so a small block cannot make it allocate much.
 *
 * @module
 */

import { CompressionError, HeaderListTooLargeError } from "./errors.ts";
import { huffmanDecode, huffmanEncode, huffmanLength } from "./_huffman.ts";
import { DynamicTable, ENTRY_OVERHEAD } from "./_hpack_table.ts";
import { STATIC_LENGTH, STATIC_NAMES, STATIC_VALUES, staticIndex } from "./_static_table.ts";

/**
 * The default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2): 4096 octets.
 *
 * @example
 * ```ts
 * import { DEFAULT_HEADER_TABLE_SIZE } from "@hussar/core/http2";
 * console.log(DEFAULT_HEADER_TABLE_SIZE); // 4096
 * ```
 */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;

/**
 * The default limit on a decoded header list: 16 KiB counted as RFC 9113
 * §6.5.2 counts (name + value + 32 per field), the HTTP/1.1 engine's
 * `maxHeadBytes`.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_HEADER_LIST_SIZE } from "@hussar/core/http2";
 * console.log(DEFAULT_MAX_HEADER_LIST_SIZE); // 16384
 * ```
 */
export const DEFAULT_MAX_HEADER_LIST_SIZE = 16384;

/** Options of {@linkcode HpackDecoder}. */
export interface HpackDecoderOptions {
  /**
   * The largest dynamic table the peer's encoder may use: the
   * SETTINGS_HEADER_TABLE_SIZE this side advertises. Default 4096.
   */
  maxTableSize?: number;
  /**
   * The largest header list a block may decode to, counting name + value +
   * 32 octets per field (RFC 9113 §6.5.2): SETTINGS_MAX_HEADER_LIST_SIZE.
   * Default {@linkcode DEFAULT_MAX_HEADER_LIST_SIZE}.
   */
  maxHeaderListSize?: number;
  /** The longest name or value literal, in octets. Default: `maxHeaderListSize`. */
  maxStringLength?: number;
}

// RFC 7541 §5.1: the largest integer accepted. Indices, lengths and sizes
// beyond it are never legitimate, and it keeps arithmetic exact.
const MAX_INT = 0x7fffffff;

/**
 * Decodes HPACK header blocks (RFC 7541 §3, §6) into a flat array of
 * names and values, `[name0, value0, name1, value1, ...]`, names and values
 * as byte strings (one char per octet).
 *
 * Errors that leave the HPACK state unknown throw
 * {@linkcode CompressionError} (a connection error): bad indices, bad
 * Huffman coding, truncated representations, integers above 2^31-1, strings
 * longer than `maxStringLength`, a table size update above the advertised
 * SETTINGS_HEADER_TABLE_SIZE or anywhere but at the start of a block
 * (§4.2). A list larger than `maxHeaderListSize` stops growing as soon as it
 * passes the limit; the block is still read to its end so the dynamic table
 * stays in step with the peer's, then {@linkcode HeaderListTooLargeError}
 * (a stream error) is thrown. An "HPACK bomb" (a small block naming a large
 * table entry many times) is refused that way without allocating the list.
 *
 * @example
 * ```ts
 * import { HpackDecoder } from "@hussar/core/http2";
 * // RFC 7541 C.3.1: indexed :method GET, :scheme http, :path /, then a literal :authority.
 * const block = Uint8Array.from([
 *   0x82, 0x86, 0x84, 0x41, 0x0f, ...new TextEncoder().encode("www.example.com"),
 * ]);
 * const decoder = new HpackDecoder();
 * console.log(decoder.decode(block));
 * // [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"]
 * console.log(decoder.tableSize); // 57
 * ```
 */
export class HpackDecoder {
  readonly #table: DynamicTable;
  #limit: number;
  #updateRequired = false;
  readonly #maxList: number;
  readonly #maxString: number;
  // Cursor of the block being decoded (saves returning pairs from helpers).
  #pos = 0;
  #changes = 0;

  /** Creates a decoder with an empty dynamic table. */
  constructor(options: HpackDecoderOptions = {}) {
    this.#limit = options.maxTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    this.#table = new DynamicTable(this.#limit);
    this.#maxList = options.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST_SIZE;
    this.#maxString = options.maxStringLength ?? this.#maxList;
  }

  /** The dynamic table's current size in octets (§4.1). */
  get tableSize(): number {
    return this.#table.size;
  }

  /** The dynamic table's current maximum size, as last set by the encoder (§4.2). */
  get maxTableSize(): number {
    return this.#table.maxSize;
  }

  /**
   * How many times the state that decoding depends on has changed (an entry
   * added to the dynamic table, its size updated, a new limit set): a block
   * decoded again with the same count gives the same fields, or the same
   * error.
   */
  get changes(): number {
    return this.#changes;
  }

  /** Entries of the dynamic table, newest first, as `[name, value]` (for tests and debugging). */
  tableEntries(): [string, string][] {
    const entries: [string, string][] = [];
    for (let i = 0; i < this.#table.length; i++) {
      entries.push([this.#table.name(i), this.#table.value(i)]);
    }
    return entries;
  }

  /**
   * Sets the limit the encoder's table size updates must keep to: call it
   * when the peer acknowledges a new SETTINGS_HEADER_TABLE_SIZE. Below the
   * current maximum, the next block must begin with an update to at most
   * the new limit (RFC 7541 §4.2), or it fails with
   * {@linkcode CompressionError}.
   */
  setMaxTableSize(limit: number): void {
    this.#limit = limit;
    this.#changes++;
    if (limit < this.#table.maxSize) this.#updateRequired = true;
  }

  /**
   * Decodes one complete header block, appending names and values to `out`
   * (a new array by default), and returns `out`.
   */
  decode(block: Uint8Array, out: string[] = []): string[] {
    const end = block.length;
    const table = this.#table;
    const maxList = this.#maxList;
    let listSize = 0;
    let updates = 0;
    let fields = 0;
    this.#pos = 0;
    while (this.#pos < end) {
      const b = block[this.#pos];
      let name: string;
      let value: string;
      if (b & 0x80) {
        // §6.1 indexed field
        const index = this.#integer(block, 7);
        if (index === 0) throw new CompressionError("index 0 in an indexed field");
        name = this.#name(index);
        value = this.#value(index);
      } else if ((b & 0xe0) === 0x20) {
        // §6.3 dynamic table size update: only before the first field (§4.2)
        if (fields > 0) throw new CompressionError("table size update after a field");
        if (++updates > 2) throw new CompressionError("more than two table size updates");
        const size = this.#integer(block, 5);
        if (size > this.#limit) {
          throw new CompressionError(`table size update to ${size} above ${this.#limit}`);
        }
        table.setMaxSize(size);
        this.#changes++;
        this.#updateRequired = false;
        continue;
      } else {
        // §6.2 literals: with incremental indexing (01), never indexed (0001), without (0000)
        const indexing = (b & 0xc0) === 0x40;
        const index = this.#integer(block, indexing ? 6 : 4);
        name = index === 0 ? this.#string(block) : this.#name(index);
        value = this.#string(block);
        if (indexing) {
          table.add(name, value);
          this.#changes++;
        }
      }
      if (this.#updateRequired) {
        throw new CompressionError("missing table size update after a lowered limit");
      }
      fields++;
      // RFC 9113 §6.5.2: name + value + 32 per field; past the limit, nothing more is kept.
      if (listSize <= maxList) {
        listSize += name.length + value.length + ENTRY_OVERHEAD;
        if (listSize <= maxList) out.push(name, value);
      }
    }
    if (this.#updateRequired) {
      throw new CompressionError("missing table size update after a lowered limit");
    }
    if (listSize > maxList) {
      throw new HeaderListTooLargeError(`header list larger than ${maxList} octets`);
    }
    return out;
  }

  /** §5.1: an integer with an N-bit prefix at the cursor. */
  #integer(block: Uint8Array, prefix: number): number {
    const max = (1 << prefix) - 1;
    let value = block[this.#pos++] & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.#pos >= block.length) throw new CompressionError("truncated integer");
      const b = block[this.#pos++];
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INT) throw new CompressionError("integer too large");
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  }

  /** §5.2: a string literal at the cursor. */
  #string(block: Uint8Array): string {
    if (this.#pos >= block.length) throw new CompressionError("truncated field");
    const huffman = (block[this.#pos] & 0x80) !== 0;
    const length = this.#integer(block, 7);
    const start = this.#pos;
    const end = start + length;
    if (end > block.length) throw new CompressionError("string longer than the block");
    if (!huffman && length > this.#maxString) {
      throw new CompressionError(`string longer than ${this.#maxString} octets`);
    }
    this.#pos = end;
    if (!huffman) return latin1(block, start, end);
    // Decoding allocates no more than the block holds; the limit is on the result.
    const s = huffmanDecode(block, start, end);
    if (s.length > this.#maxString) {
      throw new CompressionError(`string longer than ${this.#maxString} octets`);
    }
    return s;
  }

  #name(index: number): string {
    if (index <= STATIC_LENGTH) return STATIC_NAMES[index];
    const i = index - STATIC_LENGTH - 1;
    if (i >= this.#table.length) throw new CompressionError(`index ${index} is not in the table`);
    return this.#table.name(i);
  }

  #value(index: number): string {
    if (index <= STATIC_LENGTH) return STATIC_VALUES[index];
    return this.#table.value(index - STATIC_LENGTH - 1);
  }
}

/** Bytes as a byte string, in slices small enough for `fromCharCode.apply`. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += 8192) {
    const stop = i + 8192 < end ? i + 8192 : end;
    out += String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]);
  }
  return out;
}

/** Options of {@linkcode HpackEncoder}. */
export interface HpackEncoderOptions {
  /**
   * The largest dynamic table this encoder will use, whatever the peer
   * allows (RFC 7541 §4.2 lets an encoder use less). Default 4096.
   */
  maxTableSize?: number;
  /** Whether to Huffman-code strings when that is shorter. Default `true`. */
  huffman?: boolean;
}

// §7.1.3: values that must not be indexed, so they cannot be probed for.
const NEVER_INDEXED = new Set(["authorization", "proxy-authorization", "set-cookie", "cookie"]);
// Values that differ from one response to the next: indexing them would
// only evict entries that are reused.
const NOT_INDEXED = new Set([
  "content-length",
  "etag",
  "last-modified",
  "content-range",
  "age",
  "expires",
  "location",
  ":path",
]);

/**
 * Encodes header lists into HPACK blocks (RFC 7541): a field equal to a
 * static or dynamic entry becomes an index; others become literals named by
 * index where possible, added to the dynamic table when they are the kind
 * that repeats between responses (content-type, server, cache-control,
 * ...), never indexed for credentials and cookies (§7.1.3), and not indexed
 * for values that change with each response (content-length, etag, ...).
 * Strings are Huffman-coded when that is shorter. Names are lower-cased
 * (RFC 9113 §8.2.1).
 *
 * @example
 * ```ts
 * import { HpackDecoder, HpackEncoder } from "@hussar/core/http2";
 * const encoder = new HpackEncoder();
 * const decoder = new HpackDecoder();
 * const fields: [string, string][] = [[":status", "200"], ["Content-Type", "text/plain"]];
 * const first = encoder.encode(fields).slice(); // the encoder's buffer is reused: copy to keep
 * // A flat list does as well; content-type is now a dynamic table index.
 * const second = encoder.encode([":status", "200", "content-type", "text/plain"]);
 * console.log(first.length, second.length); // 10 2
 * console.log(decoder.decode(first)); // [":status", "200", "content-type", "text/plain"]
 * console.log(decoder.decode(second)); // the same, from the decoder's table
 * ```
 */
export class HpackEncoder {
  readonly #table: DynamicTable;
  readonly #cap: number;
  readonly #huffman: boolean;
  // Pending size updates to open the next block with (§4.2): the smallest, then the final.
  #minPending = -1;
  #pending = -1;
  #buf = new Uint8Array(256);
  #pos = 0;
  /** Entries added to the table so far. */
  #added = 0;
  /**
   * The last flat list encoded, if encoding it added nothing to the table and opened with no
   * size update: the same list encodes to the same bytes, still at the buffer's start (§2.3: a
   * block's encoding depends on its fields and the table only), given again as the same view.
   */
  readonly #last: string[] = [];
  #lastBlock: Uint8Array | null = null;

  /** Creates an encoder whose table starts at the default 4096 octets (or less). */
  constructor(options: HpackEncoderOptions = {}) {
    this.#cap = options.maxTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    this.#huffman = options.huffman ?? true;
    const initial = Math.min(this.#cap, DEFAULT_HEADER_TABLE_SIZE);
    this.#table = new DynamicTable(initial);
    // Below the protocol's 4096, the decoder must be told before the first field.
    if (initial !== DEFAULT_HEADER_TABLE_SIZE) this.#minPending = this.#pending = initial;
  }

  /** The dynamic table's current size in octets. */
  get tableSize(): number {
    return this.#table.size;
  }

  /**
   * Applies the peer's SETTINGS_HEADER_TABLE_SIZE: the table shrinks (or
   * grows, up to this encoder's own maximum) and the next block opens with
   * the size update(s) that tell the decoder (§4.2, §6.3).
   */
  setPeerMaxTableSize(size: number): void {
    const next = Math.min(size, this.#cap);
    if (next === this.#table.maxSize && this.#pending === -1) return;
    this.#table.setMaxSize(next);
    this.#minPending = this.#minPending === -1 ? next : Math.min(this.#minPending, next);
    this.#pending = next;
  }

  /**
   * Encodes a header list into one block: `[name, value]` pairs, or a flat
   * list `[name, value, name, value, ...]` as {@linkcode HpackDecoder.decode}
   * gives. Names and values are byte strings; a char above U+00FF throws a
   * `TypeError` (validate fields before, as the HTTP/1.1 serialiser does).
   * The returned bytes are this encoder's buffer: use or copy them before
   * the next call.
   */
  encode(fields: Iterable<readonly [string, string]> | readonly string[]): Uint8Array {
    const flat = Array.isArray(fields) && typeof fields[0] === "string"
      ? fields as readonly string[]
      : null;
    const last = this.#last;
    if (flat !== null && this.#lastBlock !== null && this.#pending === -1) {
      const n = flat.length;
      let i = 0;
      if (n === last.length) { while (i < n && flat[i] === last[i]) i++; }
      if (i === n) return this.#lastBlock;
    }
    this.#lastBlock = null;
    this.#pos = 0;
    const updated = this.#pending !== -1;
    if (updated) {
      if (this.#minPending < this.#pending) this.#integer(this.#minPending, 5, 0x20);
      this.#integer(this.#pending, 5, 0x20);
      this.#minPending = this.#pending = -1;
    }
    if (flat !== null) {
      const added = this.#added;
      for (let i = 0; i + 1 < flat.length; i += 2) this.#field(flat[i].toLowerCase(), flat[i + 1]);
      if (!updated && added === this.#added) {
        last.length = 0;
        for (let i = 0; i < flat.length; i++) last.push(flat[i]);
        return this.#lastBlock = this.#buf.subarray(0, this.#pos);
      }
    } else {
      for (const [name, value] of fields as Iterable<readonly [string, string]>) {
        this.#field(name.toLowerCase(), value);
      }
    }
    return this.#buf.subarray(0, this.#pos);
  }

  #field(name: string, value: string): void {
    const never = NEVER_INDEXED.has(name);
    // A never-indexed field may still take its name from the table ("\0" matches no value).
    const found = staticIndex(name, never ? "\0" : value);
    if (found > 0) {
      this.#integer(found, 7, 0x80); // §6.1
      return;
    }
    let nameIndex = -found;
    const table = this.#table;
    if (!never) {
      for (let i = 0; i < table.length; i++) {
        if (table.name(i) !== name) continue;
        if (table.value(i) === value) {
          this.#integer(STATIC_LENGTH + 1 + i, 7, 0x80);
          return;
        }
        if (nameIndex === 0) nameIndex = STATIC_LENGTH + 1 + i;
      }
    }
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (never) {
      this.#integer(nameIndex, 4, 0x10); // §6.2.3
    } else if (!NOT_INDEXED.has(name) && size <= table.maxSize / 2) {
      this.#integer(nameIndex, 6, 0x40); // §6.2.1
      table.add(name, value);
      this.#added++;
    } else {
      this.#integer(nameIndex, 4, 0x00); // §6.2.2
    }
    if (nameIndex === 0) this.#string(name);
    this.#string(value);
  }

  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.length) return;
    let capacity = this.#buf.length * 2;
    while (capacity < this.#pos + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }

  /** §5.1 */
  #integer(value: number, prefix: number, bits: number): void {
    this.#ensure(6);
    const max = (1 << prefix) - 1;
    const buf = this.#buf;
    if (value < max) {
      buf[this.#pos++] = bits | value;
      return;
    }
    buf[this.#pos++] = bits | max;
    value -= max;
    while (value >= 0x80) {
      buf[this.#pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[this.#pos++] = value;
  }

  /** §5.2 */
  #string(s: string): void {
    const n = s.length;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0xff) throw new TypeError("header field is not a byte string");
    }
    const coded = this.#huffman ? huffmanLength(s) : n;
    if (coded < n) {
      this.#integer(coded, 7, 0x80);
      this.#ensure(coded);
      this.#pos = huffmanEncode(s, this.#buf, this.#pos);
      return;
    }
    this.#integer(n, 7, 0);
    this.#ensure(n);
    const buf = this.#buf;
    for (let i = 0; i < n; i++) buf[this.#pos++] = s.charCodeAt(i);
  }
}

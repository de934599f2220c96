/**
 * A connection's last request head, kept with its bytes: a keep-alive client
 * sends the same head again and again (its Host, User-Agent, Accept, often
 * its target), and a head byte for byte the last one parses to the same
 * result under the same limits, since the parser keeps no state and looks at
 * nothing past the head. Such a head is compared, not scanned: no field
 * line, no Host syntax, no string looked up again.
 *
 * - One per connection (the engine's reading options hold it under
 *   {@linkcode KEEP_HEAD}), never shared: one client's head is never compared
 *   with another's, and the comparison takes the same time wherever the bytes
 *   differ, so a client behind a proxy that shares the connection cannot time
 *   its way into another's head.
 * - A head is kept the second time running one of its length and signature
 *   misses, so heads that change with every request (a cookie, a path) cost
 *   a few comparisons, never a copy; heads over `KEPT` bytes are never kept.
 *
 * The same idea as HTTP/2's reuse of the last validated header block.
 *
 * @module
 */

import { HeaderList } from "./headers.ts";
import type { ParseLimits } from "./limits.ts";
import type { BodyFraming, ParseRequestOptions, RequestHead } from "./parse.ts";
import { fillTrusted } from "./_parse_fields.ts";

/** Heads longer than this are never kept. */
const KEPT = 1024;

/** The fields of no head: read only once a head is kept, so one list serves every connection. */
const NOTHING_KEPT: string[] = [];

/** Key of the reading options' member that holds a connection's {@linkcode KeptHead}. */
export const KEEP_HEAD: unique symbol = Symbol("hussar.keepHead");

/** Parse options that may carry a connection's kept head. */
export type KeepingOptions = ParseRequestOptions & { [KEEP_HEAD]?: KeptHead };

/** The last head of one connection worth keeping (see the module notes). */
export class KeptHead {
  /** The kept head's bytes (`null`: none kept). */
  #bytes: Uint8Array | null = null;
  /** The limits and Host rule it was parsed under (by value: a caller may change its object). */
  #maxHeadBytes = 0;
  #maxHeaderCount = 0;
  #maxUriLength = 0;
  #requireHost = true;
  #method = "";
  #target = "";
  #version: "1.0" | "1.1" = "1.1";
  /** Name, lower case, value, for each field: lent to each head made from it (copied if edited). */
  #fields: string[] = NOTHING_KEPT;
  #keepAlive = true;
  #framing: BodyFraming | null = null;
  #expect: "100-continue" | null = null;
  /** Length and three bytes of the last head that missed. */
  #missed = 0;

  /**
   * The kept head again if `buf` starts with its bytes and the limits and
   * Host rule are those it was parsed under, else `null`.
   */
  match(buf: Uint8Array, limits: ParseLimits, requireHost: boolean): RequestHead | null {
    const bytes = this.#bytes;
    if (
      bytes === null || buf.length < bytes.length || requireHost !== this.#requireHost ||
      limits.maxHeadBytes !== this.#maxHeadBytes ||
      limits.maxHeaderCount !== this.#maxHeaderCount || limits.maxUriLength !== this.#maxUriLength
    ) {
      return null;
    }
    const n = bytes.length;
    // The head's end (its empty line) at the same place, or no match: that says nothing of its
    // content. The rest is compared whole, so the time taken does not tell where it differs.
    if (buf[n - 1] !== bytes[n - 1] || buf[n - 2] !== bytes[n - 2]) return null;
    let differ = 0;
    for (let i = 0; i < n; i++) differ |= buf[i] ^ bytes[i];
    if (differ !== 0) return null;
    const headers = new HeaderList();
    fillTrusted(headers, this.#fields, true);
    return {
      method: this.#method,
      target: this.#target,
      version: this.#version,
      headers,
      headLength: n,
      keepAlive: this.#keepAlive,
      framing: this.#framing!,
      expect: this.#expect,
    };
  }

  /**
   * Offers a head just parsed from `buf` (`fields` as the parser made them,
   * before any app could edit them) to be kept.
   */
  offer(
    buf: Uint8Array,
    head: RequestHead,
    fields: string[],
    limits: ParseLimits,
    requireHost: boolean,
  ): void {
    const n = head.headLength;
    if (n > KEPT) return;
    const signature = n | buf[n >> 1] << 11 | buf[n >> 2] << 19 | (buf[(n * 3) >> 2] & 0x1f) << 27;
    if (signature !== this.#missed) {
      this.#missed = signature;
      return;
    }
    const kept = this.#bytes;
    if (kept !== null && kept.length === n) kept.set(buf.subarray(0, n));
    else this.#bytes = buf.slice(0, n);
    this.#maxHeadBytes = limits.maxHeadBytes;
    this.#maxHeaderCount = limits.maxHeaderCount;
    this.#maxUriLength = limits.maxUriLength;
    this.#requireHost = requireHost;
    this.#method = head.method;
    this.#target = head.target;
    this.#version = head.version;
    this.#fields = fields.slice();
    this.#keepAlive = head.keepAlive;
    this.#framing = head.framing;
    this.#expect = head.expect;
  }
}

/**
 * The last request head a session validated, with the header block it came
 * from. Load generators and API clients send the same block stream after
 * stream (every field indexed), and a block decoded again with the decoder
 * in the same state gives the same fields (RFC 7541 §3.2: decoding depends
 * on the block and the dynamic table only), so its head is copied instead of
 * decoded and validated again.
 *
 * @module
 */

import { HeaderList } from "../httputil/headers.ts";
import { fillTrusted } from "../internal/header_fill.ts";
import type { Http2RequestHead } from "./request.ts";

/** Larger blocks are not kept: copying them each time would cost more than it spares. */
const MAX_BLOCK = 256;

export class HeadCache {
  #block: Uint8Array | null = null;
  #changes = -1;
  #head: Http2RequestHead | null = null;
  /**
   * The head's fields, validated: name, lower case, value. Lent to each copy's list, which
   * copies them before its app changes them, so never changed (a new head gets a new array).
   */
  #fields: string[] = [];

  /**
   * A new copy of the head `block` decodes to when it is the block kept and
   * the decoder's `changes` are the same as then, or null.
   */
  get(block: Uint8Array, changes: number): Http2RequestHead | null {
    const kept = this.#block;
    const n = block.length;
    if (kept === null || changes !== this.#changes || kept.length !== n) return null;
    for (let i = 0; i < n; i++) if (kept[i] !== block[i]) return null;
    const head = this.#head!;
    const headers = new HeaderList();
    fillTrusted(headers, this.#fields, true);
    return {
      method: head.method,
      scheme: head.scheme,
      authority: head.authority,
      path: head.path,
      target: head.target,
      headers,
      contentLength: head.contentLength,
    };
  }

  /** Keeps `head`, validated from `block` decoded at `changes` (which decoding did not move). */
  set(block: Uint8Array, changes: number, head: Http2RequestHead): void {
    if (block.length > MAX_BLOCK) return;
    this.#block = block.slice();
    this.#changes = changes;
    this.#head = { ...head };
    const fields: string[] = [];
    head.headers.forEach((value, name) => fields.push(name, name.toLowerCase(), value));
    this.#fields = fields;
  }
}

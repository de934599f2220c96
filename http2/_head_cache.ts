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
import type { Http2RequestHead } from "./request.ts";

/** Larger blocks are not kept: copying them each time would cost more than it spares. */
const MAX_BLOCK = 256;

export class HeadCache {
  #block: Uint8Array | null = null;
  #changes = -1;
  #head: Http2RequestHead | null = null;
  /** The head's fields, flat: each copy gets a list of its own, which its app may change. */
  readonly #fields: string[] = [];

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
    const fields = this.#fields;
    const headers = new HeaderList();
    for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
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
    const fields = this.#fields;
    fields.length = 0;
    head.headers.forEach((value, name) => fields.push(name, value));
  }
}

/**
 * The framing of a chunked body (RFC 9112 §7.1) as whole buffers: the CRLF
 * that ends a chunk's data leaves with what follows it, the next chunk's
 * size line or the last chunk, so each chunk costs one buffer of framing
 * besides its data, not two.
 *
 * @module
 */
import { LAST_CHUNK } from "./serialize.ts";

/** The CRLF ending the last data chunk, then the last chunk (no trailers). */
export const CRLF_LAST_CHUNK: Uint8Array = new Uint8Array([0x0d, 0x0a, ...LAST_CHUNK]);

// The framing of the size last asked for: a stream's chunks mostly share one size, so most
// chunks reuse it and make none. The transport only reads these buffers, never writes them.
let lastSize = 0;
/** CRLF, then the size line of `lastSize`. */
let afterData = new Uint8Array(0);
/** The size line of `lastSize` alone (a view of `afterData`). */
let opening = afterData;

/**
 * The bytes in front of a chunk of `size` (> 0) bytes: its size line, after
 * the CRLF that ends the chunk before it when `follows`.
 */
export function chunkFraming(size: number, follows: boolean): Uint8Array {
  if (size !== lastSize) {
    const hex = size.toString(16);
    const bytes = new Uint8Array(hex.length + 4);
    bytes[0] = 0x0d;
    bytes[1] = 0x0a;
    for (let i = 0; i < hex.length; i++) bytes[i + 2] = hex.charCodeAt(i);
    bytes[hex.length + 2] = 0x0d;
    bytes[hex.length + 3] = 0x0a;
    lastSize = size;
    afterData = bytes;
    opening = bytes.subarray(2);
  }
  return follows ? afterData : opening;
}

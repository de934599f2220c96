/**
 * The session's outgoing frames written straight into the buffers the
 * transport keeps: a small response's HEADERS and DATA in one buffer, a
 * DATA frame's header with its data when small. Buffers are pieces of the
 * shared slab (internal/bytes.ts), as HTTP/1.1's response heads are: no
 * `ArrayBuffer` per frame, one write per response.
 *
 * @module
 */

import { pooledBytes } from "../internal/bytes.ts";
import { FRAME_HEADER_LENGTH, FrameFlag, FrameType } from "./frame.ts";
import { writeFrameHeader } from "./serialize.ts";

/** Octets of a header block sent as HEADERS plus CONTINUATION frames of at most `maxFrameSize`. */
export function headerFramesLength(blockLength: number, maxFrameSize: number): number {
  const frames = blockLength === 0 ? 1 : Math.ceil(blockLength / maxFrameSize);
  return frames * FRAME_HEADER_LENGTH + blockLength;
}

/**
 * Writes `block` at `out[at]` as a HEADERS frame followed by CONTINUATION
 * frames past `maxFrameSize` (§4.3, §6.10); returns the offset after them.
 */
export function writeHeaderFrames(
  out: Uint8Array,
  at: number,
  streamId: number,
  block: Uint8Array,
  endStream: boolean,
  maxFrameSize: number,
): number {
  const n = block.length;
  let from = 0;
  do {
    const length = n - from < maxFrameSize ? n - from : maxFrameSize;
    const last = from + length === n;
    const flags = (last ? FrameFlag.END_HEADERS : 0) |
      (from === 0 && endStream ? FrameFlag.END_STREAM : 0);
    writeFrameHeader(
      out,
      at,
      length,
      from === 0 ? FrameType.HEADERS : FrameType.CONTINUATION,
      flags,
      streamId,
    );
    out.set(
      from === 0 && last ? block : block.subarray(from, from + length),
      at + FRAME_HEADER_LENGTH,
    );
    at += FRAME_HEADER_LENGTH + length;
    from += length;
  } while (from < n);
  return at;
}

/**
 * A response's header block as frames in one new buffer and, when `body`
 * is given (bytes, or an ASCII string: its chars are its bytes), the whole
 * body after them as one DATA frame ending the stream (§6.1). Without a
 * body, the HEADERS frame ends the stream if `endStream`.
 */
export function responseFrames(
  streamId: number,
  block: Uint8Array,
  maxFrameSize: number,
  endStream: boolean,
  body: Uint8Array | string | null,
): Uint8Array {
  const head = headerFramesLength(block.length, maxFrameSize);
  const n = body === null ? 0 : body.length;
  const out = pooledBytes(body === null ? head : head + FRAME_HEADER_LENGTH + n);
  const at = writeHeaderFrames(out, 0, streamId, block, endStream && body === null, maxFrameSize);
  if (body !== null) putData(out, at, streamId, body, true);
  return out;
}

/** DATA frames this small are copied with their header into one buffer; larger ones go as they are. */
export const COPIED_DATA = 1024 - FRAME_HEADER_LENGTH;

/** A DATA frame (§6.1) carrying `size` octets of `data` from `from`, copied (at most {@linkcode COPIED_DATA}). */
export function dataFrame(
  streamId: number,
  data: Uint8Array,
  from: number,
  size: number,
  endStream: boolean,
): Uint8Array {
  const out = pooledBytes(FRAME_HEADER_LENGTH + size);
  putData(
    out,
    0,
    streamId,
    from === 0 && size === data.length ? data : data.subarray(from, from + size),
    endStream,
  );
  return out;
}

/** The 9-octet header of a DATA frame of `length` octets, to write before the data, uncopied (§6.1). */
export function dataHeader(streamId: number, length: number, endStream: boolean): Uint8Array {
  const out = pooledBytes(FRAME_HEADER_LENGTH);
  writeFrameHeader(out, 0, length, FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId);
  return out;
}

function putData(
  out: Uint8Array,
  at: number,
  streamId: number,
  data: Uint8Array | string,
  endStream: boolean,
): void {
  const n = data.length;
  writeFrameHeader(out, at, n, FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId);
  at += FRAME_HEADER_LENGTH;
  if (typeof data !== "string") return out.set(data, at);
  for (let i = 0; i < n; i++) out[at + i] = data.charCodeAt(i);
}

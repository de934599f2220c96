/**
 * Serialisers for the HTTP/2 frames a server sends (RFC 9113 §4.1, §6), and
 * a generic one for the rest.
 *
 * @module
 */

import { FRAME_HEADER_LENGTH, FrameFlag, FrameType } from "./frame.ts";
import { type Http2Settings, SettingId } from "./settings.ts";
import { headerFramesLength, writeHeaderFrames } from "./_output.ts";

/**
 * Writes a frame header (§4.1) at `out[offset]`.
 *
 * @example
 * ```ts
 * import { FrameType, writeFrameHeader } from "@hussar/core/http2";
 * const header = new Uint8Array(9);
 * writeFrameHeader(header, 0, 5, FrameType.DATA, 1, 3);
 * console.log([...header]); // [0, 0, 5, 0, 1, 0, 0, 0, 3]
 * ```
 */
export function writeFrameHeader(
  out: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  out[offset] = length >>> 16;
  out[offset + 1] = length >>> 8;
  out[offset + 2] = length;
  out[offset + 3] = type;
  out[offset + 4] = flags;
  out[offset + 5] = (streamId >>> 24) & 0x7f;
  out[offset + 6] = streamId >>> 16;
  out[offset + 7] = streamId >>> 8;
  out[offset + 8] = streamId;
}

/**
 * A whole frame of any type: header and `payload`. The serialisers below
 * cover the frames a server sends; this is for the rest (and for tests
 * playing the client).
 *
 * @example
 * ```ts
 * import { FrameType, serializeFrame } from "@hussar/core/http2";
 * const frame = serializeFrame(FrameType.PRIORITY, 0, 3, new Uint8Array([0, 0, 0, 1, 15]));
 * console.log(frame.length); // 14
 * ```
 */
export function serializeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = EMPTY,
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER_LENGTH);
  return out;
}

const EMPTY = new Uint8Array(0);

/**
 * The 9-octet header of a DATA frame carrying `length` octets, to write
 * just before the data itself so the data is not copied (§6.1).
 *
 * @example
 * ```ts
 * import { dataFrameHeader } from "@hussar/core/http2";
 * console.log([...dataFrameHeader(1, 2, true)]); // [0, 0, 2, 0, 1, 0, 0, 0, 1]
 * ```
 */
export function dataFrameHeader(streamId: number, length: number, endStream: boolean): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH);
  writeFrameHeader(out, 0, length, FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId);
  return out;
}

/**
 * A DATA frame (§6.1), unpadded. `data` must fit the peer's
 * SETTINGS_MAX_FRAME_SIZE and the flow-control windows: splitting is the
 * caller's.
 *
 * @example
 * ```ts
 * import { serializeData } from "@hussar/core/http2";
 * console.log(serializeData(1, new TextEncoder().encode("hi"), true).length); // 11
 * ```
 */
export function serializeData(streamId: number, data: Uint8Array, endStream: boolean): Uint8Array {
  return serializeFrame(FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId, data);
}

/**
 * A header block as one HEADERS frame, followed by CONTINUATION frames when
 * it is larger than `maxFrameSize` (the peer's SETTINGS_MAX_FRAME_SIZE),
 * all in one buffer so nothing can be interleaved (§4.3).
 *
 * @example
 * ```ts
 * import { HpackEncoder, serializeHeaders } from "@hussar/core/http2";
 * const block = new HpackEncoder().encode([[":status", "204"]]);
 * console.log([...serializeHeaders(1, block, true)]); // [0, 0, 1, 1, 5, 0, 0, 0, 1, 137]
 * ```
 */
export function serializeHeaders(
  streamId: number,
  headerBlock: Uint8Array,
  endStream: boolean,
  maxFrameSize = 16384,
): Uint8Array {
  const out = new Uint8Array(headerFramesLength(headerBlock.length, maxFrameSize));
  writeHeaderFrames(out, 0, streamId, headerBlock, endStream, maxFrameSize);
  return out;
}

/**
 * A RST_STREAM frame (§6.4).
 *
 * @example
 * ```ts
 * import { ErrorCode, serializeRstStream } from "@hussar/core/http2";
 * console.log(serializeRstStream(1, ErrorCode.CANCEL).length); // 13
 * ```
 */
export function serializeRstStream(streamId: number, errorCode: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  writeUint32(out, FRAME_HEADER_LENGTH, errorCode);
  return out;
}

const SETTING_IDS: readonly [keyof Http2Settings, number][] = [
  ["headerTableSize", SettingId.HEADER_TABLE_SIZE],
  ["enablePush", SettingId.ENABLE_PUSH],
  ["maxConcurrentStreams", SettingId.MAX_CONCURRENT_STREAMS],
  ["initialWindowSize", SettingId.INITIAL_WINDOW_SIZE],
  ["maxFrameSize", SettingId.MAX_FRAME_SIZE],
  ["maxHeaderListSize", SettingId.MAX_HEADER_LIST_SIZE],
];

/**
 * A SETTINGS frame (§6.5) with the given parameters (infinite values, the
 * protocol's "no limit", are left out).
 *
 * @example
 * ```ts
 * import { serializeSettings } from "@hussar/core/http2";
 * const frame = serializeSettings({ maxConcurrentStreams: 100, enablePush: 0 });
 * console.log(frame.length); // 21: a header and two parameters
 * ```
 */
export function serializeSettings(settings: Partial<Http2Settings>): Uint8Array {
  const pairs: number[] = [];
  for (const [key, id] of SETTING_IDS) {
    const value = settings[key];
    if (value !== undefined && Number.isFinite(value)) pairs.push(id, value);
  }
  const out = new Uint8Array(FRAME_HEADER_LENGTH + pairs.length * 3);
  writeFrameHeader(out, 0, pairs.length * 3, FrameType.SETTINGS, 0, 0);
  for (let i = 0, at = FRAME_HEADER_LENGTH; i < pairs.length; i += 2, at += 6) {
    out[at] = pairs[i] >>> 8;
    out[at + 1] = pairs[i];
    writeUint32(out, at + 2, pairs[i + 1]);
  }
  return out;
}

/**
 * The SETTINGS frame acknowledging the peer's (§6.5.3).
 *
 * @example
 * ```ts
 * import { SETTINGS_ACK } from "@hussar/core/http2";
 * console.log([...SETTINGS_ACK]); // [0, 0, 0, 4, 1, 0, 0, 0, 0]
 * ```
 */
export const SETTINGS_ACK: Uint8Array = serializeFrame(FrameType.SETTINGS, FrameFlag.ACK, 0);

/**
 * A PING frame (§6.7) with 8 octets of `data`; with `ack`, the answer to a
 * peer's PING, echoing its data.
 *
 * @example
 * ```ts
 * import { serializePing } from "@hussar/core/http2";
 * console.log(serializePing(new Uint8Array(8), true)[4]); // 1: ACK
 * ```
 */
export function serializePing(data: Uint8Array, ack = false): Uint8Array {
  if (data.length !== 8) throw new RangeError("PING data must be 8 octets");
  return serializeFrame(FrameType.PING, ack ? FrameFlag.ACK : 0, 0, data);
}

/**
 * A GOAWAY frame (§6.8).
 *
 * @example
 * ```ts
 * import { ErrorCode, serializeGoaway } from "@hussar/core/http2";
 * const frame = serializeGoaway(7, ErrorCode.NO_ERROR, new TextEncoder().encode("bye"));
 * console.log(frame.length); // 20
 * ```
 */
export function serializeGoaway(
  lastStreamId: number,
  errorCode: number,
  debugData: Uint8Array = EMPTY,
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH + 8 + debugData.length);
  writeFrameHeader(out, 0, 8 + debugData.length, FrameType.GOAWAY, 0, 0);
  writeUint32(out, FRAME_HEADER_LENGTH, lastStreamId & 0x7fffffff);
  writeUint32(out, FRAME_HEADER_LENGTH + 4, errorCode);
  out.set(debugData, FRAME_HEADER_LENGTH + 8);
  return out;
}

/**
 * A WINDOW_UPDATE frame (§6.9); `increment` must be 1..2^31-1.
 *
 * @example
 * ```ts
 * import { serializeWindowUpdate } from "@hussar/core/http2";
 * console.log(serializeWindowUpdate(0, 65535).length); // 13
 * ```
 */
export function serializeWindowUpdate(streamId: number, increment: number): Uint8Array {
  if (increment < 1 || increment > 0x7fffffff) {
    throw new RangeError("a WINDOW_UPDATE increment must be 1..2^31-1");
  }
  const out = new Uint8Array(FRAME_HEADER_LENGTH + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  writeUint32(out, FRAME_HEADER_LENGTH, increment);
  return out;
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/**
 * HTTP/2 framing (RFC 9113 §3.4, §4, §6): the connection preface, an
 * incremental frame parser that checks every rule it can check without
 * stream state, and the frame types it yields (serialisers are in
 * serialize.ts).
 *
 * @module
 */

import { ErrorCode, Http2Error } from "./errors.ts";
import { DEFAULT_MAX_HEADER_LIST_SIZE } from "./hpack.ts";
import { validateSetting } from "./settings.ts";

/**
 * Frame types (RFC 9113 §6).
 *
 * @example
 * ```ts
 * import { FrameType } from "@hussar/core/http2";
 * console.log(FrameType.HEADERS, FrameType.CONTINUATION); // 1 9
 * ```
 */
export const FrameType: {
  readonly DATA: 0x0;
  readonly HEADERS: 0x1;
  readonly PRIORITY: 0x2;
  readonly RST_STREAM: 0x3;
  readonly SETTINGS: 0x4;
  readonly PUSH_PROMISE: 0x5;
  readonly PING: 0x6;
  readonly GOAWAY: 0x7;
  readonly WINDOW_UPDATE: 0x8;
  readonly CONTINUATION: 0x9;
} = Object.freeze({
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
});

/**
 * Frame flags (RFC 9113 §6); ACK shares END_STREAM's bit.
 *
 * @example
 * ```ts
 * import { FrameFlag } from "@hussar/core/http2";
 * console.log(FrameFlag.END_STREAM | FrameFlag.END_HEADERS); // 5
 * ```
 */
export const FrameFlag: {
  readonly END_STREAM: 0x1;
  readonly ACK: 0x1;
  readonly END_HEADERS: 0x4;
  readonly PADDED: 0x8;
  readonly PRIORITY: 0x20;
} = Object.freeze({
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
});

/**
 * Octets of a frame header (RFC 9113 §4.1).
 *
 * @example
 * ```ts
 * import { FRAME_HEADER_LENGTH } from "@hussar/core/http2";
 * console.log(FRAME_HEADER_LENGTH); // 9
 * ```
 */
export const FRAME_HEADER_LENGTH = 9;

/**
 * The client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`
 * (RFC 9113 §3.4).
 *
 * @example
 * ```ts
 * import { CONNECTION_PREFACE } from "@hussar/core/http2";
 * console.log(CONNECTION_PREFACE.length); // 24
 * ```
 */
export const CONNECTION_PREFACE: Uint8Array = new TextEncoder().encode(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
);

/**
 * Whether bytes that open a connection are the HTTP/2 preface: `true` once
 * all 24 octets match, `false` as soon as one does not (the connection is
 * then HTTP/1.1, whose request line cannot start with it), `null` while
 * the bytes so far are a prefix of it.
 *
 * @example
 * ```ts
 * import { isPreface } from "@hussar/core/http2";
 * const bytes = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
 * console.log(isPreface(bytes.subarray(0, 5)), isPreface(bytes)); // null true
 * console.log(isPreface(new TextEncoder().encode("GET / HTTP/1.1\r\n"))); // false
 * ```
 */
export function isPreface(bytes: Uint8Array): boolean | null {
  const n = bytes.length < 24 ? bytes.length : 24;
  for (let i = 0; i < n; i++) if (bytes[i] !== CONNECTION_PREFACE[i]) return false;
  return n === 24 ? true : null;
}

/**
 * Stream priority as HEADERS and PRIORITY carry it (RFC 9113 §5.3.2,
 * deprecated but still parsed).
 *
 * @example
 * ```ts
 * import type { Priority } from "@hussar/core/http2";
 * const priority: Priority = { exclusive: false, dependency: 0, weight: 16 };
 * console.log(priority.weight); // 16
 * ```
 */
export interface Priority {
  /** The E flag. */
  exclusive: boolean;
  /** The stream depended on. */
  dependency: number;
  /** 1..256 (the wire value plus one). */
  weight: number;
}

/**
 * A DATA frame (§6.1). `data` excludes padding; `flowLength`, the whole
 * payload with padding, is what flow control counts.
 */
export interface DataFrame {
  /** FrameType.DATA. */
  type: 0;
  /** The stream (never 0). */
  streamId: number;
  /** END_STREAM. */
  endStream: boolean;
  /** The data, padding removed. */
  data: Uint8Array;
  /** The frame's payload length, what it takes from the flow-control windows. */
  flowLength: number;
}

/**
 * A complete header block opening or continuing a stream: a HEADERS frame
 * with its CONTINUATION frames joined (§6.2, §6.10). `streamError` is set
 * when the frame is valid as a frame but not for its stream (a stream that
 * depends on itself, §5.3.1): the block must still be decoded, so the HPACK
 * state stays in step, before the stream is reset.
 */
export interface HeadersFrame {
  /** FrameType.HEADERS. */
  type: 1;
  /** The stream (never 0). */
  streamId: number;
  /** END_STREAM. */
  endStream: boolean;
  /** The priority, when the PRIORITY flag was set. */
  priority: Priority | null;
  /** The field block, padding removed, fragments joined. */
  headerBlock: Uint8Array;
  /** A stream error to raise once the block is decoded, or null. */
  streamError: Http2Error | null;
}

/** A PRIORITY frame (§6.3). */
export interface PriorityFrame {
  /** FrameType.PRIORITY. */
  type: 2;
  /** The stream (never 0). */
  streamId: number;
  /** The priority. */
  priority: Priority;
}

/** A RST_STREAM frame (§6.4). */
export interface RstStreamFrame {
  /** FrameType.RST_STREAM. */
  type: 3;
  /** The stream (never 0). */
  streamId: number;
  /** The error code (§7). */
  errorCode: number;
}

/** A SETTINGS frame (§6.5), its parameters validated (§6.5.2). */
export interface SettingsFrame {
  /** FrameType.SETTINGS. */
  type: 4;
  /** Always 0. */
  streamId: 0;
  /** ACK. */
  ack: boolean;
  /** `[id, value, id, value, ...]` in frame order (§6.5.3). */
  parameters: number[];
}

/** A PUSH_PROMISE frame (§6.6), only accepted by a client-side parser. */
export interface PushPromiseFrame {
  /** FrameType.PUSH_PROMISE. */
  type: 5;
  /** The associated stream. */
  streamId: number;
  /** The promised stream. */
  promisedStreamId: number;
  /** The field block, padding removed, fragments joined. */
  headerBlock: Uint8Array;
}

/** A PING frame (§6.7). */
export interface PingFrame {
  /** FrameType.PING. */
  type: 6;
  /** Always 0. */
  streamId: 0;
  /** ACK. */
  ack: boolean;
  /** The 8 opaque octets. */
  data: Uint8Array;
}

/** A GOAWAY frame (§6.8). */
export interface GoawayFrame {
  /** FrameType.GOAWAY. */
  type: 7;
  /** Always 0. */
  streamId: 0;
  /** The last stream the sender may have processed. */
  lastStreamId: number;
  /** The error code (§7). */
  errorCode: number;
  /** Additional debug data. */
  debugData: Uint8Array;
}

/** A WINDOW_UPDATE frame (§6.9). */
export interface WindowUpdateFrame {
  /** FrameType.WINDOW_UPDATE. */
  type: 8;
  /** The stream, or 0 for the connection. */
  streamId: number;
  /** The increment, 1..2^31-1. */
  increment: number;
}

/**
 * A frame as {@linkcode FrameParser} yields it. CONTINUATION frames are
 * joined to their HEADERS or PUSH_PROMISE; unknown types are skipped.
 *
 * @example
 * ```ts
 * import { type Frame, FrameType } from "@hussar/core/http2";
 * function describe(frame: Frame): string {
 *   return frame.type === FrameType.DATA ? `${frame.data.length} octets` : `type ${frame.type}`;
 * }
 * console.log(typeof describe); // function
 * ```
 */
export type Frame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoawayFrame
  | WindowUpdateFrame;

/** Options of {@linkcode FrameParser}. */
export interface FrameParserOptions {
  /**
   * Expect the client connection preface, then a SETTINGS frame, before
   * anything else (§3.4): the server side. Default `true`.
   */
  preface?: boolean;
  /**
   * The largest payload accepted: the SETTINGS_MAX_FRAME_SIZE this side
   * advertises (§4.2). Default 16384.
   */
  maxFrameSize?: number;
  /**
   * The largest header block (HEADERS plus CONTINUATION fragments, padding
   * excluded). A block is never larger than the header list it encodes,
   * bar a few octets of table size updates, so this is the decoder's
   * header list limit by default ({@linkcode DEFAULT_MAX_HEADER_LIST_SIZE}):
   * a block that grows past it is refused while it arrives
   * (ENHANCE_YOUR_CALM), before the rest is buffered.
   */
  maxHeaderBlockSize?: number;
  /**
   * The most CONTINUATION frames in one block, so a flood of empty ones is
   * refused too (ENHANCE_YOUR_CALM). Default 8, as nghttp2.
   */
  maxContinuationFrames?: number;
  /** Accept PUSH_PROMISE (a client). Default `false`: a server must refuse it (§8.4). */
  acceptPushPromise?: boolean;
}

const PREFACE_WAIT = 0;
const FIRST_SETTINGS = 1;
const FRAMES = 2;

/**
 * An incremental HTTP/2 frame parser: {@linkcode FrameParser.push} the
 * bytes read, however they are split, then call
 * {@linkcode FrameParser.next} until it returns null.
 *
 * Every rule that needs no stream state is checked here, as soon as the
 * octets that break it arrive: the preface and the first SETTINGS (§3.4),
 * the frame size against SETTINGS_MAX_FRAME_SIZE (§4.2, checked on the
 * header so an oversized payload is never buffered), the fixed sizes of
 * PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY and WINDOW_UPDATE, the
 * stream identifier each type allows, padding (§6.1, §6.2), SETTINGS values
 * (§6.5.2), zero WINDOW_UPDATE increments (§6.9), and header blocks:
 * only CONTINUATION frames of the same stream may follow a HEADERS without
 * END_HEADERS (§6.10), and a block is refused once it passes
 * `maxHeaderBlockSize` or `maxContinuationFrames` (the CONTINUATION flood).
 * Unknown frame types are skipped (§5.5).
 *
 * Violations throw {@linkcode Http2Error}. After a connection error the
 * parser is done; after a stream error (PRIORITY of the wrong size, a zero
 * WINDOW_UPDATE on a stream) the frame has been consumed and `next()` may be
 * called again.
 *
 * DATA payloads and PING data are views of the pushed bytes: do not reuse
 * a pushed buffer until the frames read from it are done with.
 *
 * @example
 * ```ts
 * import { CONNECTION_PREFACE, FrameParser, serializePing, serializeSettings } from "@hussar/core/http2";
 * const parser = new FrameParser();
 * const settings = serializeSettings({ initialWindowSize: 1 << 20 });
 * const ping = serializePing(new Uint8Array(8));
 * const bytes = new Uint8Array([...CONNECTION_PREFACE, ...settings, ...ping]);
 * parser.push(bytes.subarray(0, 30)); // any split will do
 * console.log(parser.next()); // null: the SETTINGS frame is not complete yet
 * parser.push(bytes.subarray(30));
 * console.log(parser.next()); // { type: 4, streamId: 0, ack: false, parameters: [ 4, 1048576 ] }
 * console.log(parser.next()?.type, parser.next()); // 6 null
 * ```
 */
export class FrameParser {
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #end = 0;
  #owned = false; // whether #buf is a buffer of ours, which may be appended to
  #state: number;
  #maxFrameSize: number;
  readonly #maxBlock: number;
  readonly #maxContinuations: number;
  readonly #acceptPush: boolean;
  // The header block being assembled (HEADERS or PUSH_PROMISE without END_HEADERS).
  #blockType = -1;
  #blockStream = 0;
  #block: Uint8Array = new Uint8Array(0);
  #blockLength = 0;
  #continuations = 0;
  #blockEndStream = false;
  #blockPriority: Priority | null = null;
  #blockError: Http2Error | null = null;
  #blockPromised = 0;

  /** Creates a parser, by default for the server side of a connection. */
  constructor(options: FrameParserOptions = {}) {
    this.#state = options.preface === false ? FRAMES : PREFACE_WAIT;
    this.#maxFrameSize = options.maxFrameSize ?? 16384;
    this.#maxBlock = options.maxHeaderBlockSize ?? DEFAULT_MAX_HEADER_LIST_SIZE;
    this.#maxContinuations = options.maxContinuationFrames ?? 8;
    this.#acceptPush = options.acceptPushPromise ?? false;
  }

  /**
   * Changes the largest payload accepted: call it when the peer acknowledges
   * a new SETTINGS_MAX_FRAME_SIZE.
   */
  setMaxFrameSize(size: number): void {
    this.#maxFrameSize = size;
  }

  /** Octets pushed and not yet consumed. */
  get buffered(): number {
    return this.#end - this.#pos;
  }

  /** Whether a header block is waiting for CONTINUATION frames. */
  get inHeaderBlock(): boolean {
    return this.#blockType !== -1;
  }

  /** Adds bytes read from the connection. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#pos === this.#end) {
      this.#buf = chunk;
      this.#pos = 0;
      this.#end = chunk.length;
      this.#owned = false;
      return;
    }
    // A frame straddles reads: keep the rest in a buffer of ours. It is
    // appended to, never overwritten, so views handed out stay valid.
    const rest = this.#end - this.#pos;
    if (!this.#owned || this.#end + chunk.length > this.#buf.length) {
      let capacity = this.#owned ? this.#buf.length : 1024;
      while (capacity < rest + chunk.length) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#buf.subarray(this.#pos, this.#end));
      this.#buf = grown;
      this.#pos = 0;
      this.#end = rest;
      this.#owned = true;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * The next complete frame, or null when more bytes are needed. Throws
   * {@linkcode Http2Error} for a frame that breaks the rules above.
   */
  next(): Frame | null {
    for (;;) {
      const buf = this.#buf;
      const p = this.#pos;
      const available = this.#end - p;
      if (this.#state === PREFACE_WAIT) {
        const n = available < 24 ? available : 24;
        for (let i = 0; i < n; i++) {
          if (buf[p + i] !== CONNECTION_PREFACE[i]) {
            throw connectionError(ErrorCode.PROTOCOL_ERROR, "invalid connection preface");
          }
        }
        if (n < 24) return null;
        this.#pos += 24;
        this.#state = FIRST_SETTINGS;
        continue;
      }
      if (available < FRAME_HEADER_LENGTH) return null;
      const length = (buf[p] << 16) | (buf[p + 1] << 8) | buf[p + 2];
      const type = buf[p + 3];
      const flags = buf[p + 4];
      // §4.1: the reserved bit is ignored.
      const streamId = ((buf[p + 5] & 0x7f) << 24 | (buf[p + 6] << 16) | (buf[p + 7] << 8) |
        buf[p + 8]) >>> 0;
      // Checked on the header alone, so nothing is buffered for a frame refused anyway.
      if (length > this.#maxFrameSize) {
        throw connectionError(
          ErrorCode.FRAME_SIZE_ERROR,
          `frame of ${length} octets above SETTINGS_MAX_FRAME_SIZE ${this.#maxFrameSize}`,
        );
      }
      if (this.#state === FIRST_SETTINGS) {
        if (type !== FrameType.SETTINGS || (flags & FrameFlag.ACK) !== 0) {
          throw connectionError(
            ErrorCode.PROTOCOL_ERROR,
            "the preface must be followed by SETTINGS",
          );
        }
        this.#state = FRAMES;
      }
      if (this.#blockType !== -1) {
        // §6.10, §5.5: a field block is only continued, by the same stream.
        if (type !== FrameType.CONTINUATION || streamId !== this.#blockStream) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, "header block interrupted");
        }
        if (this.#blockLength + length > this.#maxBlock) {
          throw connectionError(
            ErrorCode.ENHANCE_YOUR_CALM,
            `header block larger than ${this.#maxBlock} octets`,
          );
        }
      }
      if (available < FRAME_HEADER_LENGTH + length) return null;
      const start = p + FRAME_HEADER_LENGTH;
      this.#pos = start + length; // consumed whatever follows, so a stream error leaves us in step
      const frame = this.#frame(type, flags, streamId, buf, start, length);
      if (frame !== null) return frame;
    }
  }

  #frame(
    type: number,
    flags: number,
    streamId: number,
    buf: Uint8Array,
    start: number,
    length: number,
  ): Frame | null {
    switch (type) {
      case FrameType.DATA: {
        if (streamId === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
        const end = start + length - padding(flags, buf, start, length, 0);
        const from = flags & FrameFlag.PADDED ? start + 1 : start;
        return {
          type: 0,
          streamId,
          endStream: (flags & FrameFlag.END_STREAM) !== 0,
          data: buf.subarray(from, end),
          flowLength: length,
        };
      }
      case FrameType.HEADERS: {
        if (streamId === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
        const hasPriority = (flags & FrameFlag.PRIORITY) !== 0;
        const pad = padding(flags, buf, start, length, hasPriority ? 5 : 0);
        let from = flags & FrameFlag.PADDED ? start + 1 : start;
        let priority: Priority | null = null;
        let streamError: Http2Error | null = null;
        if (hasPriority) {
          priority = readPriority(buf, from);
          from += 5;
          if (priority.dependency === streamId) streamError = selfDependency(streamId);
        }
        return this.#openBlock(
          FrameType.HEADERS,
          flags,
          streamId,
          buf.subarray(from, start + length - pad),
          priority,
          streamError,
          0,
        );
      }
      case FrameType.PRIORITY: {
        if (streamId === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (length !== 5) {
          throw new Http2Error(
            ErrorCode.FRAME_SIZE_ERROR,
            "stream",
            "PRIORITY must be 5 octets",
            streamId,
          );
        }
        const priority = readPriority(buf, start);
        if (priority.dependency === streamId) throw selfDependency(streamId);
        return { type: 2, streamId, priority };
      }
      case FrameType.RST_STREAM:
        if (streamId === 0) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
        }
        if (length !== 4) {
          throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM must be 4 octets");
        }
        return { type: 3, streamId, errorCode: uint32(buf, start) };
      case FrameType.SETTINGS: {
        if (streamId !== 0) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
        }
        const ack = (flags & FrameFlag.ACK) !== 0;
        if (ack && length !== 0) {
          throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
        }
        if (length % 6 !== 0) {
          throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS not a multiple of 6 octets");
        }
        const parameters: number[] = [];
        for (let i = start; i < start + length; i += 6) {
          const id = (buf[i] << 8) | buf[i + 1];
          const value = uint32(buf, i + 2);
          validateSetting(id, value);
          parameters.push(id, value);
        }
        return { type: 4, streamId: 0, ack, parameters };
      }
      case FrameType.PUSH_PROMISE: {
        // §8.4: a client cannot push.
        if (!this.#acceptPush) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE sent to a server");
        }
        if (streamId === 0) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE on stream 0");
        }
        const pad = padding(flags, buf, start, length, 4);
        const from = flags & FrameFlag.PADDED ? start + 1 : start;
        const promised = uint32(buf, from) & 0x7fffffff;
        return this.#openBlock(
          FrameType.PUSH_PROMISE,
          flags,
          streamId,
          buf.subarray(from + 4, start + length - pad),
          null,
          null,
          promised,
        );
      }
      case FrameType.PING:
        if (streamId !== 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (length !== 8) {
          throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "PING must be 8 octets");
        }
        return {
          type: 6,
          streamId: 0,
          ack: (flags & FrameFlag.ACK) !== 0,
          data: buf.subarray(start, start + 8),
        };
      case FrameType.GOAWAY:
        if (streamId !== 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (length < 8) {
          throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 octets");
        }
        return {
          type: 7,
          streamId: 0,
          lastStreamId: uint32(buf, start) & 0x7fffffff,
          errorCode: uint32(buf, start + 4),
          debugData: buf.subarray(start + 8, start + length),
        };
      case FrameType.WINDOW_UPDATE: {
        if (length !== 4) {
          throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE must be 4 octets");
        }
        const increment = uint32(buf, start) & 0x7fffffff;
        if (increment === 0) {
          // §6.9: an error on the flow-control window it concerns.
          if (streamId === 0) {
            throw connectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on the connection");
          }
          throw new Http2Error(
            ErrorCode.PROTOCOL_ERROR,
            "stream",
            "WINDOW_UPDATE of 0",
            streamId,
          );
        }
        return { type: 8, streamId, increment };
      }
      case FrameType.CONTINUATION: {
        if (this.#blockType === -1) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without a header block");
        }
        if (++this.#continuations > this.#maxContinuations) {
          throw connectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many CONTINUATION frames");
        }
        this.#append(buf.subarray(start, start + length));
        if ((flags & FrameFlag.END_HEADERS) === 0) return null;
        return this.#closeBlock(this.#block.slice(0, this.#blockLength));
      }
      default:
        return null; // §5.5: unknown types are ignored
    }
  }

  #openBlock(
    type: number,
    flags: number,
    streamId: number,
    fragment: Uint8Array,
    priority: Priority | null,
    streamError: Http2Error | null,
    promised: number,
  ): Frame | null {
    if (fragment.length > this.#maxBlock) {
      throw connectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `header block larger than ${this.#maxBlock} octets`,
      );
    }
    this.#blockType = type;
    this.#blockStream = streamId;
    this.#blockEndStream = (flags & FrameFlag.END_STREAM) !== 0;
    this.#blockPriority = priority;
    this.#blockError = streamError;
    this.#blockPromised = promised;
    this.#continuations = 0;
    if (flags & FrameFlag.END_HEADERS) return this.#closeBlock(fragment);
    this.#blockLength = 0;
    this.#append(fragment);
    return null;
  }

  #append(fragment: Uint8Array): void {
    const needed = this.#blockLength + fragment.length;
    if (needed > this.#block.length) {
      const grown = new Uint8Array(
        Math.min(Math.max(needed, this.#block.length * 2), this.#maxBlock),
      );
      grown.set(this.#block.subarray(0, this.#blockLength));
      this.#block = grown;
    }
    this.#block.set(fragment, this.#blockLength);
    this.#blockLength = needed;
  }

  #closeBlock(headerBlock: Uint8Array): Frame {
    const type = this.#blockType;
    this.#blockType = -1;
    if (type === FrameType.PUSH_PROMISE) {
      return {
        type: 5,
        streamId: this.#blockStream,
        promisedStreamId: this.#blockPromised,
        headerBlock,
      };
    }
    return {
      type: 1,
      streamId: this.#blockStream,
      endStream: this.#blockEndStream,
      priority: this.#blockPriority,
      headerBlock,
      streamError: this.#blockError,
    };
  }
}

function connectionError(code: number, reason: string): Http2Error {
  return new Http2Error(code, "connection", reason);
}

function selfDependency(streamId: number): Http2Error {
  return new Http2Error(ErrorCode.PROTOCOL_ERROR, "stream", "stream depends on itself", streamId);
}

function uint32(buf: Uint8Array, i: number): number {
  return ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) >>> 0;
}

function readPriority(buf: Uint8Array, i: number): Priority {
  return {
    exclusive: (buf[i] & 0x80) !== 0,
    dependency: uint32(buf, i) & 0x7fffffff,
    weight: buf[i + 4] + 1,
  };
}

/**
 * The padding of a frame whose PADDED flag may be set, `fixed` being the
 * octets of fields other than the pad length and the content. §6.1, §6.2:
 * a frame too short to hold its Pad Length is a FRAME_SIZE_ERROR (§4.2),
 * padding that leaves no room for the fixed fields a PROTOCOL_ERROR.
 */
function padding(
  flags: number,
  buf: Uint8Array,
  start: number,
  length: number,
  fixed: number,
): number {
  if ((flags & FrameFlag.PADDED) === 0) {
    if (length < fixed) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "frame too short");
    return 0;
  }
  if (length < 1 + fixed) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "frame too short");
  const pad = buf[start];
  if (pad > length - 1 - fixed) {
    throw connectionError(ErrorCode.PROTOCOL_ERROR, "padding as long as the payload");
  }
  return pad;
}

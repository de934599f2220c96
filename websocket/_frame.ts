/**
 * RFC 6455 §5 framing: an incremental frame parser (bytes may arrive split
 * anywhere) and the frame serialiser. Both sides use them: the server
 * requires masked frames, a client (the tests') requires unmasked ones.
 */

/** Frame opcodes (RFC 6455 §5.2). */
export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** A close code and why: thrown where the peer broke the protocol. */
export class ProtocolViolation extends Error {
  /** The close code to send (1002 protocol error, 1007 bad data, 1009 too big). */
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = "ProtocolViolation";
    this.code = code;
  }
}

/** One parsed frame, payload unmasked. */
export interface Frame {
  fin: boolean;
  /** RSV1: the message is compressed (permessage-deflate, RFC 7692 §6); only on a first data frame. */
  rsv1: boolean;
  opcode: number;
  payload: Uint8Array;
}

/** What the parser enforces. */
export interface FrameParserOptions {
  /** `true` on a server: every frame must be masked; `false` on a client: none may be. */
  masked: boolean;
  /** Largest payload of one frame (a bigger one is 1009 before any of it is buffered). */
  maxPayload: number;
  /** permessage-deflate was negotiated: RSV1 may mark a message's first frame (RFC 7692 §6). */
  rsv1?: boolean;
}

const HEAD = 0;
const PAYLOAD = 1;

/**
 * Parses frames out of a byte stream. Header fields are checked as soon as
 * they are complete, so a hostile length is refused before any allocation.
 */
export class FrameParser {
  readonly #masked: boolean;
  readonly #maxPayload: number;
  readonly #rsv1: boolean;
  #state = HEAD;
  readonly #head = new Uint8Array(14);
  #headHave = 0;
  #headNeed = 2;
  #fin = false;
  #compressed = false;
  #opcode = 0;
  #mask: Uint8Array | null = null;
  #payload = new Uint8Array(0);
  #payloadHave = 0;

  constructor(options: FrameParserOptions) {
    this.#masked = options.masked;
    this.#maxPayload = options.maxPayload;
    this.#rsv1 = options.rsv1 ?? false;
  }

  /** Whether the parser is between frames (no partial frame buffered). */
  get idle(): boolean {
    return this.#state === HEAD && this.#headHave === 0;
  }

  /** Consumes `chunk` and returns the frames it completes; throws {@linkcode ProtocolViolation}. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let i = 0;
    for (;;) {
      if (this.#state === HEAD) {
        if (i >= chunk.length) break;
        const take = Math.min(this.#headNeed - this.#headHave, chunk.length - i);
        this.#head.set(chunk.subarray(i, i + take), this.#headHave);
        this.#headHave += take;
        i += take;
        if (this.#headHave < this.#headNeed) break;
        if (this.#headHave === 2) {
          this.#headNeed = 2 + extendedLengthSize(this.#head[1]) + (this.#head[1] & 0x80 ? 4 : 0);
          if (this.#headHave < this.#headNeed) continue;
        }
        this.#startPayload();
      }
      // PAYLOAD (possibly empty)
      const need = this.#payload.length - this.#payloadHave;
      const take = Math.min(need, chunk.length - i);
      if (take > 0) {
        const start = this.#payloadHave;
        this.#payload.set(chunk.subarray(i, i + take), start);
        if (this.#mask !== null) unmask(this.#payload, this.#mask, start, start + take);
        this.#payloadHave += take;
        i += take;
      }
      if (this.#payloadHave < this.#payload.length) break;
      frames.push({
        fin: this.#fin,
        rsv1: this.#compressed,
        opcode: this.#opcode,
        payload: this.#payload,
      });
      this.#state = HEAD;
      this.#headHave = 0;
      this.#headNeed = 2;
    }
    return frames;
  }

  #startPayload(): void {
    const b0 = this.#head[0];
    const b1 = this.#head[1];
    this.#fin = (b0 & 0x80) !== 0;
    this.#opcode = b0 & 0x0f;
    this.#compressed = (b0 & 0x40) !== 0;
    const opcode = this.#opcode;
    const control = (opcode & 0x08) !== 0;
    if ((b0 & 0x30) !== 0 || (this.#compressed && !this.#rsv1)) {
      throw new ProtocolViolation(1002, "reserved bits set but no extension was negotiated");
    }
    if (opcode > 0x2 && opcode !== 0x8 && opcode !== 0x9 && opcode !== 0xa) {
      throw new ProtocolViolation(1002, `unknown opcode 0x${opcode.toString(16)}`);
    }
    // RFC 7692 §6: RSV1 marks a whole message, so only its first frame carries it.
    if (this.#compressed && (control || opcode === OPCODE.continuation)) {
      throw new ProtocolViolation(
        1002,
        `RSV1 set on a ${control ? "control" : "continuation"} frame`,
      );
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked !== this.#masked) {
      throw new ProtocolViolation(
        1002,
        this.#masked ? "client frames must be masked" : "server frames must not be masked",
      );
    }
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      length = (this.#head[2] << 8) | this.#head[3];
      offset = 4;
      if (length < 126) throw new ProtocolViolation(1002, "payload length not minimally encoded");
    } else if (length === 127) {
      const high = readUint32(this.#head, 2);
      const low = readUint32(this.#head, 6);
      if (high & 0x80000000) {
        throw new ProtocolViolation(1002, "payload length has its top bit set");
      }
      length = high * 0x100000000 + low;
      offset = 10;
      if (length < 0x10000) {
        throw new ProtocolViolation(1002, "payload length not minimally encoded");
      }
    }
    if (control) {
      if (!this.#fin) throw new ProtocolViolation(1002, "control frames must not be fragmented");
      if (length > 125) throw new ProtocolViolation(1002, "control frame payload over 125 bytes");
    }
    if (length > this.#maxPayload) {
      throw new ProtocolViolation(
        1009,
        `frame of ${length} bytes over the ${this.#maxPayload} limit`,
      );
    }
    this.#mask = masked ? this.#head.slice(offset, offset + 4) : null;
    this.#payload = length === 0 ? EMPTY : new Uint8Array(length);
    this.#payloadHave = 0;
    this.#state = PAYLOAD;
  }
}

const EMPTY = new Uint8Array(0);

function extendedLengthSize(b1: number): number {
  const length = b1 & 0x7f;
  return length === 126 ? 2 : length === 127 ? 8 : 0;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/** XORs `bytes[from..to)` with the mask; `from` is the offset within the payload. */
function unmask(bytes: Uint8Array, mask: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) bytes[i] ^= mask[i & 3];
}

/** How to serialise a frame. */
export interface EncodeOptions {
  /** Last fragment of its message (default true). */
  fin?: boolean;
  /** A 4-byte masking key (clients); none for a server. */
  mask?: Uint8Array;
  /** Set RSV1: a compressed message's first frame (RFC 7692 §6). */
  rsv1?: boolean;
}

/** Serialises one frame: header, then the payload (masked if a key is given), in one buffer. */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: EncodeOptions = {},
): Uint8Array {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const mask = options.mask;
  const headLength = 2 + extended + (mask ? 4 : 0);
  const frame = new Uint8Array(headLength + length);
  frame[0] = (options.fin === false ? 0 : 0x80) | (options.rsv1 ? 0x40 : 0) | opcode;
  frame[1] = (mask ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) {
    frame[2] = length >> 8;
    frame[3] = length & 0xff;
  } else if (extended === 8) {
    const view = new DataView(frame.buffer);
    view.setUint32(2, Math.floor(length / 0x100000000));
    view.setUint32(6, length >>> 0);
  }
  frame.set(payload, headLength);
  if (mask) {
    frame.set(mask, headLength - 4);
    const body = frame.subarray(headLength);
    unmask(body, mask, 0, body.length);
  }
  return frame;
}

const encoder = new TextEncoder();

/** The payload of a close frame: a 2-byte code then a UTF-8 reason (none for no code). */
export function closePayload(code: number | undefined, reason = ""): Uint8Array {
  if (code === undefined) return EMPTY;
  const text = encoder.encode(reason);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/** Whether a peer may send this close code (RFC 6455 §7.4; 1004-1006 and 1015 never travel). */
export function isValidCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reads a received close frame's payload: code (1005 when absent) and reason; throws on a bad one. */
export function parseClosePayload(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length === 0) return { code: 1005, reason: "" };
  if (payload.length === 1) throw new ProtocolViolation(1002, "close frame payload of 1 byte");
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) throw new ProtocolViolation(1002, `invalid close code ${code}`);
  let reason: string;
  try {
    reason = strictDecoder.decode(payload.subarray(2));
  } catch {
    throw new ProtocolViolation(1007, "close reason is not valid UTF-8");
  }
  return { code, reason };
}

/**
 * Reassembles data frames into messages (RFC 6455 §5.4): continuation
 * order, the message size limit, and UTF-8 validity of text, checked
 * fragment by fragment so a bad sequence fails before the message ends.
 * A compressed message (RSV1, RFC 7692 §6) is gathered compressed and
 * inflated once whole, within the size limit.
 */
import { compressedLimit, type PerMessageDeflate } from "./_deflate.ts";
import { type Frame, OPCODE, ProtocolViolation } from "./_frame.ts";

/** A complete message. */
export type Message = { text: true; data: string } | { text: false; data: Uint8Array };

/** Assembles the data frames of one connection. */
export class MessageAssembler {
  readonly #maxMessageSize: number;
  readonly #deflate: PerMessageDeflate | null;
  #opcode = -1; // of the message in progress; -1 when none
  #compressed = false;
  #size = 0;
  #parts: Uint8Array[] = [];
  #text = "";
  #decoder: TextDecoder | null = null;

  /** `deflate`: the connection's permessage-deflate codec, if negotiated. */
  constructor(maxMessageSize: number, deflate: PerMessageDeflate | null = null) {
    this.#maxMessageSize = maxMessageSize;
    this.#deflate = deflate;
  }

  /** Takes a data frame (opcode 0, 1 or 2); returns the message it completes, if any. */
  add(frame: Frame): Message | null {
    const { opcode, payload, fin, rsv1 } = frame;
    if (opcode === OPCODE.continuation) {
      if (this.#opcode === -1) throw new ProtocolViolation(1002, "continuation without a message");
    } else if (this.#opcode !== -1) {
      throw new ProtocolViolation(1002, "new message before the previous one ended");
    } else if (fin) {
      // The common case: a whole message in one frame.
      if (!rsv1 && payload.length > this.#maxMessageSize) throw this.#tooBig();
      const data = rsv1 ? this.#inflate([payload], payload.length) : payload;
      if (opcode === OPCODE.binary) return { text: false, data };
      return { text: true, data: decodeStrict(data) };
    } else {
      this.#opcode = opcode;
      this.#compressed = rsv1;
      this.#size = 0;
      if (opcode === OPCODE.text && !rsv1) {
        this.#decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      }
    }
    this.#size += payload.length;
    const max = this.#compressed ? compressedLimit(this.#maxMessageSize) : this.#maxMessageSize;
    if (this.#size > max) throw this.#tooBig();
    if (this.#decoder !== null) {
      try {
        this.#text += this.#decoder.decode(payload, { stream: !fin });
      } catch {
        throw new ProtocolViolation(1007, "text message is not valid UTF-8");
      }
    } else {
      this.#parts.push(payload);
    }
    if (!fin) return null;
    let message: Message;
    if (this.#compressed) {
      const data = this.#inflate(this.#parts, this.#size);
      message = this.#opcode === OPCODE.text
        ? { text: true, data: decodeStrict(data) }
        : { text: false, data };
    } else {
      message = this.#decoder !== null
        ? { text: true, data: this.#text }
        : { text: false, data: concat(this.#parts, this.#size) };
    }
    this.#opcode = -1;
    this.#parts = [];
    this.#text = "";
    this.#decoder = null;
    return message;
  }

  #tooBig(): ProtocolViolation {
    return new ProtocolViolation(1009, `message over the ${this.#maxMessageSize} byte limit`);
  }

  #inflate(parts: Uint8Array[], size: number): Uint8Array {
    // The frame parser lets RSV1 through only once permessage-deflate was negotiated.
    return this.#deflate!.decompress(parts, size, this.#maxMessageSize);
  }
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeStrict(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw new ProtocolViolation(1007, "text message is not valid UTF-8");
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

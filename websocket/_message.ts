/**
 * Reassembles data frames into messages (RFC 6455 §5.4): continuation
 * order, the message size limit, and UTF-8 validity of text, checked
 * fragment by fragment so a bad sequence fails before the message ends.
 */
import { type Frame, OPCODE, ProtocolViolation } from "./_frame.ts";

/** A complete message. */
export type Message = { text: true; data: string } | { text: false; data: Uint8Array };

/** Assembles the data frames of one connection. */
export class MessageAssembler {
  readonly #maxMessageSize: number;
  #opcode = -1; // of the message in progress; -1 when none
  #size = 0;
  #parts: Uint8Array[] = [];
  #text = "";
  #decoder: TextDecoder | null = null;

  constructor(maxMessageSize: number) {
    this.#maxMessageSize = maxMessageSize;
  }

  /** Takes a data frame (opcode 0, 1 or 2); returns the message it completes, if any. */
  add(frame: Frame): Message | null {
    const { opcode, payload, fin } = frame;
    if (opcode === OPCODE.continuation) {
      if (this.#opcode === -1) throw new ProtocolViolation(1002, "continuation without a message");
    } else if (this.#opcode !== -1) {
      throw new ProtocolViolation(1002, "new message before the previous one ended");
    } else if (fin) {
      // The common case: a whole message in one frame.
      if (opcode === OPCODE.binary) return { text: false, data: payload };
      return { text: true, data: decodeStrict(payload) };
    } else {
      this.#opcode = opcode;
      this.#size = 0;
      if (opcode === OPCODE.text) {
        this.#decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      }
    }
    this.#size += payload.length;
    if (this.#size > this.#maxMessageSize) {
      throw new ProtocolViolation(1009, `message over the ${this.#maxMessageSize} byte limit`);
    }
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
    const message: Message = this.#decoder !== null
      ? { text: true, data: this.#text }
      : { text: false, data: concat(this.#parts, this.#size) };
    this.#opcode = -1;
    this.#parts = [];
    this.#text = "";
    this.#decoder = null;
    return message;
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

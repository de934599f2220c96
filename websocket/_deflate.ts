/**
 * permessage-deflate (RFC 7692): negotiation of the client's offers (§5,
 * §7.1) and the per-message codec (§7.2) on node:zlib's synchronous raw
 * deflate, which Deno, Bun and Node all have.
 *
 * Context takeover (§7.1.1) without a live zlib stream: each message is
 * compressed or inflated by a one-shot call that is given the last
 * 2^windowBits bytes of the direction's earlier compressed messages, which
 * is exactly the LZ77 window the peer's stream holds. A connection keeps
 * only those history bytes between messages (no zlib state, nothing to
 * free). The inflater gets them as a stored block before the message (any
 * inflater honours that); the compressor as a preset dictionary, which
 * Deno's node:zlib ignores: there the server compresses each message on
 * its own, which any client can inflate.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { ProtocolViolation } from "./_frame.ts";

/** What the server agreed to, for one connection (RFC 7692 §7.1). */
export interface DeflateParams {
  /** The server resets its compressor for every message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor for every message: no inflate history to keep. */
  clientNoContextTakeover: boolean;
  /** LZ77 window of the server's compressor, 9-15. */
  serverMaxWindowBits: number;
  /** Largest window the client's compressor may use, 8-15: how much inflate history to keep. */
  clientMaxWindowBits: number;
}

/** What the server is willing to agree to (resolved `PerMessageDeflateOptions`). */
export interface DeflatePolicy {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** The negotiated parameters and the `Sec-WebSocket-Extensions` value that answers them. */
export interface DeflateAgreement {
  params: DeflateParams;
  header: string;
}

const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/**
 * Picks the first `permessage-deflate` offer in `Sec-WebSocket-Extensions`
 * the server can honour (§5.1), or null: an offer with an unknown or
 * repeated parameter or a bad value is declined, never failed (§7.1).
 */
export function negotiateDeflate(
  header: string | null,
  policy: DeflatePolicy,
): DeflateAgreement | null {
  if (header === null) return null;
  for (const offer of splitOutsideQuotes(header, ",")) {
    const [name, ...rest] = splitOutsideQuotes(offer, ";");
    if (name.toLowerCase() !== "permessage-deflate") continue;
    const agreement = accept(rest, policy);
    if (agreement !== null) return agreement;
  }
  return null;
}

function accept(parameters: string[], policy: DeflatePolicy): DeflateAgreement | null {
  const seen = new Set<string>();
  let serverNoContextTakeover = policy.serverNoContextTakeover;
  let clientNoContextTakeover = policy.clientNoContextTakeover;
  let serverBits = policy.serverMaxWindowBits;
  let clientBits: number | null = null; // the client may limit its window: its limit, or 15
  for (const parameter of parameters) {
    const eq = parameter.indexOf("=");
    const key = (eq === -1 ? parameter : parameter.slice(0, eq)).trim().toLowerCase();
    let value = eq === -1 ? null : parameter.slice(eq + 1).trim();
    if (value !== null && value.length >= 2 && value[0] === '"' && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    if (seen.has(key)) return null;
    seen.add(key);
    switch (key) {
      case "server_no_context_takeover":
        if (value !== null) return null;
        serverNoContextTakeover = true;
        break;
      case "client_no_context_takeover":
        if (value !== null) return null;
        clientNoContextTakeover = true;
        break;
      case "server_max_window_bits": {
        if (value === null || !WINDOW_BITS.test(value)) return null;
        // zlib has no raw deflate with a 256-byte window: decline rather than exceed it.
        if (Number(value) < 9) return null;
        serverBits = Math.min(serverBits, Number(value));
        break;
      }
      case "client_max_window_bits":
        if (value !== null && !WINDOW_BITS.test(value)) return null;
        clientBits = value === null ? 15 : Number(value);
        break;
      default:
        return null;
    }
  }
  // §7.1.2.2: a client that did not offer client_max_window_bits cannot be asked to limit it.
  if (clientBits === null && policy.clientMaxWindowBits < 15) return null;
  const params: DeflateParams = {
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: Math.min(clientBits ?? 15, policy.clientMaxWindowBits),
  };
  let header = "permessage-deflate";
  if (serverNoContextTakeover) header += "; server_no_context_takeover";
  if (clientNoContextTakeover) header += "; client_no_context_takeover";
  if (serverBits < 15) header += `; server_max_window_bits=${serverBits}`;
  if (params.clientMaxWindowBits < 15) {
    header += `; client_max_window_bits=${params.clientMaxWindowBits}`;
  }
  return { params, header };
}

/** Splits on `separator` where it is not inside a quoted string; trims, drops empty parts. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (char === "\\" && quoted) i++;
    else if (i === text.length || (char === separator && !quoted)) {
      const part = text.slice(start, i).trim();
      if (part !== "") parts.push(part);
      start = i + 1;
    }
  }
  return parts;
}

/**
 * Largest compressed message accepted for `maxMessageSize` inflated bytes:
 * deflate may grow incompressible data by 5 bytes per block of at least
 * 16 KiB, so 1/1024 more (plus a little) is plenty.
 */
export function compressedLimit(maxMessageSize: number): number {
  return maxMessageSize + Math.ceil(maxMessageSize / 1024) + 64;
}

const FLUSH = { finishFlush: 2 } as const; // zlib.constants.Z_SYNC_FLUSH
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]); // §7.2.1: the empty stored block a sync flush ends with

/** One connection's compressor and decompressor. */
export class PerMessageDeflate {
  readonly params: DeflateParams;
  readonly #sendWindow: number;
  readonly #receiveWindow: number;
  #sent: Uint8Array = EMPTY; // history of the compressor (server context takeover)
  #received: Uint8Array = EMPTY; // history of the decompressor (client context takeover)

  constructor(params: DeflateParams) {
    this.params = params;
    this.#sendWindow = params.serverNoContextTakeover ? 0 : 1 << params.serverMaxWindowBits;
    this.#receiveWindow = params.clientNoContextTakeover ? 0 : 1 << params.clientMaxWindowBits;
  }

  /** Bytes of history kept between messages (at most 2^serverBits + 2^clientBits). */
  get historyBytes(): number {
    return this.#sent.length + this.#received.length;
  }

  /**
   * A message's payload compressed (§7.2.1), or null when that would not
   * make it smaller: then it goes uncompressed and leaves no history.
   */
  compress(data: Uint8Array): Uint8Array | null {
    const out = deflateRawSync(data, {
      ...FLUSH,
      windowBits: this.params.serverMaxWindowBits,
      ...(this.#sent.length > 0 ? { dictionary: this.#sent } : {}),
    });
    const end = endsWithTail(out) ? out.length - 4 : out.length;
    if (end >= data.length) return null;
    if (this.#sendWindow > 0 && dictionaryWorks()) {
      this.#sent = keepLast(this.#sent, data, this.#sendWindow);
    }
    return out.subarray(0, end);
  }

  /**
   * Inflates a message's compressed fragments (§7.2.2), refusing with 1009
   * once the output passes `limit` bytes: zlib stops there, so a bomb is
   * never inflated whole. Bad deflate data is 1007.
   */
  decompress(parts: Uint8Array[], size: number, limit: number): Uint8Array {
    // The history as a stored block (RFC 1951 §3.2.4), then the message and the tail §7.2.2 strips.
    const history = this.#received;
    const prefix = history.length === 0 ? 0 : 5 + history.length;
    const input = new Uint8Array(prefix + size + 4);
    if (prefix > 0) {
      input[0] = 0; // BFINAL 0, BTYPE 00, padded to the byte
      input[1] = history.length & 0xff;
      input[2] = history.length >> 8;
      input[3] = ~input[1] & 0xff;
      input[4] = ~input[2] & 0xff;
      input.set(history, 5);
    }
    let at = prefix;
    for (const part of parts) {
      input.set(part, at);
      at += part.length;
    }
    input.set(TAIL, at);
    let buffer: Uint8Array;
    try {
      buffer = inflateRawSync(input, {
        ...FLUSH,
        windowBits: 15,
        maxOutputLength: history.length + limit,
      });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new ProtocolViolation(1009, `message inflates past the ${limit} byte limit`);
      }
      const why = error instanceof Error ? error.message : String(error);
      throw new ProtocolViolation(1007, `compressed message is not valid deflate data: ${why}`);
    }
    // A plain view: a Buffer's slice() would not copy where the message's ArrayBuffer is cut out.
    const out = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    if (this.#receiveWindow > 0) this.#received = keepLast(EMPTY, out, this.#receiveWindow);
    return out.subarray(history.length);
  }
}

let dictionaryWorksCache: boolean | undefined;

/** Whether this runtime's raw deflate honours a preset dictionary (Deno's ignores it). */
function dictionaryWorks(): boolean {
  if (dictionaryWorksCache === undefined) {
    const sample = new Uint8Array(64).map((_, i) => (i * 167 + 13) & 0xff);
    const plain = deflateRawSync(sample, FLUSH).length;
    dictionaryWorksCache = deflateRawSync(sample, { ...FLUSH, dictionary: sample }).length < plain;
  }
  return dictionaryWorksCache;
}

const EMPTY = new Uint8Array(0);

function endsWithTail(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[n - 4] === 0 && bytes[n - 3] === 0 && bytes[n - 2] === 0xff &&
    bytes[n - 1] === 0xff;
}

/** The last `window` bytes of `history` followed by `data`, in a buffer of their own. */
function keepLast(history: Uint8Array, data: Uint8Array, window: number): Uint8Array {
  // Copied with the Uint8Array constructor: `data` may be a Buffer, whose slice() is a view.
  if (data.length >= window) return new Uint8Array(data.subarray(data.length - window));
  const fromHistory = Math.min(history.length, window - data.length);
  const out = new Uint8Array(fromHistory + data.length);
  out.set(history.subarray(history.length - fromHistory));
  out.set(data, fromHistory);
  return out;
}

/**
 * Incremental decoding of the chunked transfer coding (RFC 9112 §7.1).
 *
 * @module
 */

import { HttpError } from "./errors.ts";
import { HeaderList } from "./headers.ts";
import {
  BACKSLASH,
  CR,
  DQUOTE,
  EQUALS,
  HEX_VALUE,
  HTAB,
  latin1,
  LF,
  QDTEXT,
  QUOTED_PAIR,
  SEMI,
  SP,
  TCHAR,
} from "./_chars.ts";
import { appendTrusted, bareCr, bareLf, fieldSpan, scanFieldLine } from "./_parse_fields.ts";

/** Options of {@linkcode ChunkedDecoder}. */
export interface ChunkedDecoderOptions {
  /** Most body bytes (sum of chunk sizes) accepted; beyond it: 413. Default: no limit. */
  maxBodyBytes?: number;
  /** Most bytes of trailer field lines; beyond it: 431. Default 16384. */
  maxTrailerBytes?: number;
  /** Most bytes of chunk extensions on one chunk-size line; beyond it: 400. Default 4096. */
  maxChunkExtensionBytes?: number;
}

/**
 * What one {@linkcode ChunkedDecoder.decode} call produced.
 *
 * @example
 * ```ts
 * import { ChunkedDecoder, type ChunkedResult } from "@hussar/core/httputil";
 * const result: ChunkedResult = new ChunkedDecoder().decode(new Uint8Array());
 * console.log(result.done, result.consumed); // false 0
 * ```
 */
export interface ChunkedResult {
  /**
   * Body bytes decoded by this call, in order. They are views into the input
   * (no copy): read them before the input buffer is reused.
   */
  data: Uint8Array[];
  /** Whether the last chunk and the trailer section have been read. */
  done: boolean;
  /**
   * Bytes of the input that belong to the chunked body. Once `done`, the bytes
   * after it (a pipelined request) are left unconsumed.
   */
  consumed: number;
}

const MAX_SIZE_DIGITS = 64; // leading zeros are legal, but not without end

// States, named after what the next byte may be.
const SIZE_START = 0;
const SIZE = 1;
const SIZE_BWS = 2;
const EXT_NAME_START = 3;
const EXT_NAME = 4;
const EXT_AFTER_NAME = 5;
const EXT_VALUE_START = 6;
const EXT_TOKEN = 7;
const EXT_QUOTED = 8;
const EXT_QUOTED_PAIR = 9;
const EXT_AFTER_QUOTE = 10;
const EXT_AFTER_VALUE = 11;
const SIZE_LF = 12;
const DATA = 13;
const DATA_CR = 14;
const DATA_LF = 15;
const TRAILER_START = 16;
const TRAILER_LINE = 17;
const TRAILER_END_LF = 18;
const DONE = 19;
const FAILED = 20;

function chunkError(reason: string): HttpError {
  return new HttpError(400, reason);
}

/**
 * Decodes a chunked request body fed in pieces split anywhere, strictly:
 * chunk-size is `1*HEXDIG` (no `0x`, no sign, no whitespace except BWS before
 * a `;`), up to 2^53 - 1 (else 400) and within `maxBodyBytes` (else 413);
 * chunk extensions must match `;name[=token|quoted-string]` and are then
 * ignored; every CR must be followed by LF; chunk data must be followed by
 * CRLF; trailer fields follow the same rules as header fields (no obs-fold,
 * no controls) and are collected in {@linkcode ChunkedDecoder.trailers}.
 *
 * A decoder is used for one body. After it throws, every later call throws
 * the same error: the connection must be closed.
 *
 * @example
 * ```ts
 * import { ChunkedDecoder } from "@hussar/core/httputil";
 * const wire = new TextEncoder().encode("5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\nGET /next");
 * const decoder = new ChunkedDecoder({ maxBodyBytes: 1 << 20 });
 * const first = decoder.decode(wire.subarray(0, 4));
 * const rest = decoder.decode(wire.subarray(first.consumed));
 * const body = [...first.data, ...rest.data].map((d) => new TextDecoder().decode(d)).join("");
 * console.log(body, rest.done, decoder.trailers.get("x-sum")); // hello true 1
 * console.log(first.consumed + rest.consumed); // 25: "GET /next" is left for the next request
 * ```
 */
export class ChunkedDecoder {
  #state = SIZE_START;
  #error: unknown = null;
  #size = 0;
  #sizeDigits = 0;
  #extBytes = 0;
  #remaining = 0;
  #bodyBytes = 0;
  #trailerBytes = 0;
  #pending: Uint8Array | null = null;
  #pendingLength = 0;
  readonly #maxBody: number;
  readonly #maxTrailer: number;
  readonly #maxExt: number;
  readonly #trailers = new HeaderList();

  /** Creates a decoder for one chunked body. */
  constructor(options?: ChunkedDecoderOptions) {
    this.#maxBody = options?.maxBodyBytes ?? Number.MAX_SAFE_INTEGER;
    this.#maxTrailer = options?.maxTrailerBytes ?? 16384;
    this.#maxExt = options?.maxChunkExtensionBytes ?? 4096;
  }

  /** Whether the whole body, trailers included, has been decoded. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** Body bytes decoded so far. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** The trailer fields, complete once {@linkcode ChunkedDecoder.done} is true. */
  get trailers(): HeaderList {
    return this.#trailers;
  }

  /**
   * Decodes as much of `input` as belongs to the body. Throws
   * {@linkcode HttpError} at the first invalid byte (400, 413 or 431).
   */
  decode(input: Uint8Array): ChunkedResult {
    if (this.#state === FAILED) throw this.#error;
    try {
      return this.#decode(input);
    } catch (error) {
      this.#state = FAILED;
      this.#error = error;
      throw error;
    }
  }

  #decode(input: Uint8Array): ChunkedResult {
    const data: Uint8Array[] = [];
    const n = input.length;
    let i = 0;
    let state = this.#state;
    while (i < n && state !== DONE) {
      if (state === DATA) {
        const available = n - i;
        const take = this.#remaining < available ? this.#remaining : available;
        data.push(input.subarray(i, i + take));
        i += take;
        this.#remaining -= take;
        this.#bodyBytes += take;
        if (this.#remaining === 0) state = DATA_CR;
        continue;
      }
      if (state === TRAILER_START || state === TRAILER_LINE) {
        const b = input[i];
        if (state === TRAILER_START) {
          if (b === CR) {
            i++;
            state = TRAILER_END_LF;
            continue;
          }
          if (b === LF) throw bareLf();
          if (b === SP || b === HTAB) throw chunkError("obs-fold in trailer");
        }
        const used = this.#trailerLine(input, i, state === TRAILER_LINE);
        i += used < 0 ? -used : used;
        state = used < 0 ? TRAILER_LINE : TRAILER_START;
        continue;
      }
      const b = input[i++];
      switch (state) {
        case SIZE_START: {
          const d = HEX_VALUE[b];
          if (d === 255) throw chunkError("invalid chunk size");
          this.#size = d;
          this.#sizeDigits = 1;
          this.#extBytes = 0;
          this.#checkSize();
          state = SIZE;
          break;
        }
        case SIZE: {
          const d = HEX_VALUE[b];
          if (d !== 255) {
            if (++this.#sizeDigits > MAX_SIZE_DIGITS) throw chunkError("chunk size too long");
            if (this.#size > (Number.MAX_SAFE_INTEGER - d) / 16) {
              throw chunkError("chunk size too large");
            }
            this.#size = this.#size * 16 + d;
            this.#checkSize();
          } else if (b === CR) {
            state = SIZE_LF;
          } else if (b === SEMI) {
            state = this.#ext(EXT_NAME_START);
          } else if (b === SP || b === HTAB) {
            state = this.#ext(SIZE_BWS);
          } else if (b === LF) {
            throw bareLf();
          } else {
            throw chunkError("invalid chunk size");
          }
          break;
        }
        case SIZE_BWS:
          // BWS is only allowed because a ";" follows (RFC 9112 §7.1.1).
          if (b === SEMI) state = this.#ext(EXT_NAME_START);
          else if (b === SP || b === HTAB) state = this.#ext(SIZE_BWS);
          else throw chunkError("invalid chunk size");
          break;
        case EXT_NAME_START:
          if (TCHAR[b] === 1) state = this.#ext(EXT_NAME);
          else if (b === SP || b === HTAB) state = this.#ext(EXT_NAME_START);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_NAME:
          if (TCHAR[b] === 1) state = this.#ext(EXT_NAME);
          else if (b === CR) state = SIZE_LF;
          else if (b === SEMI) state = this.#ext(EXT_NAME_START);
          else if (b === EQUALS) state = this.#ext(EXT_VALUE_START);
          else if (b === SP || b === HTAB) state = this.#ext(EXT_AFTER_NAME);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_AFTER_NAME:
          if (b === SEMI) state = this.#ext(EXT_NAME_START);
          else if (b === EQUALS) state = this.#ext(EXT_VALUE_START);
          else if (b === SP || b === HTAB) state = this.#ext(EXT_AFTER_NAME);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_VALUE_START:
          if (TCHAR[b] === 1) state = this.#ext(EXT_TOKEN);
          else if (b === DQUOTE) state = this.#ext(EXT_QUOTED);
          else if (b === SP || b === HTAB) state = this.#ext(EXT_VALUE_START);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_TOKEN:
          if (TCHAR[b] === 1) state = this.#ext(EXT_TOKEN);
          else if (b === CR) state = SIZE_LF;
          else if (b === SEMI) state = this.#ext(EXT_NAME_START);
          else if (b === SP || b === HTAB) state = this.#ext(EXT_AFTER_VALUE);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_QUOTED:
          if (b === DQUOTE) state = this.#ext(EXT_AFTER_QUOTE);
          else if (b === BACKSLASH) state = this.#ext(EXT_QUOTED_PAIR);
          else if (QDTEXT[b] === 1) state = this.#ext(EXT_QUOTED);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_QUOTED_PAIR:
          if (QUOTED_PAIR[b] === 1) state = this.#ext(EXT_QUOTED);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_AFTER_QUOTE:
          if (b === CR) state = SIZE_LF;
          else if (b === SEMI) state = this.#ext(EXT_NAME_START);
          else if (b === SP || b === HTAB) state = this.#ext(EXT_AFTER_VALUE);
          else throw chunkError("invalid chunk extension");
          break;
        case EXT_AFTER_VALUE:
          if (b === SEMI) state = this.#ext(EXT_NAME_START);
          else if (b === SP || b === HTAB) state = this.#ext(EXT_AFTER_VALUE);
          else throw chunkError("invalid chunk extension");
          break;
        case SIZE_LF:
          if (b !== LF) throw bareCr();
          if (this.#size === 0) {
            state = TRAILER_START;
          } else {
            this.#remaining = this.#size;
            state = DATA;
          }
          break;
        case DATA_CR:
          if (b === CR) state = DATA_LF;
          else if (b === LF) throw bareLf();
          else throw chunkError("missing crlf after chunk data");
          break;
        case DATA_LF:
          if (b !== LF) throw bareCr();
          state = SIZE_START;
          break;
        case TRAILER_END_LF:
          if (b !== LF) throw bareCr();
          state = DONE;
          break;
      }
    }
    this.#state = state;
    return { data, done: state === DONE, consumed: i };
  }

  /** 413 as soon as the chunk being announced would exceed the body limit. */
  #checkSize(): void {
    if (this.#bodyBytes + this.#size > this.#maxBody) {
      throw new HttpError(413, "request body too large");
    }
  }

  /** Counts one byte of chunk extension against its limit; returns `next`. */
  #ext(next: number): number {
    if (++this.#extBytes > this.#maxExt) throw chunkError("chunk extensions too long");
    return next;
  }

  /**
   * Reads (part of) one trailer field line from `input[i..]`. Returns the
   * bytes used: positive when the line is complete, negative when it is not
   * (the bytes are kept until the rest arrives).
   */
  #trailerLine(input: Uint8Array, i: number, continuing: boolean): number {
    const budget = this.#maxTrailer - this.#trailerBytes;
    if (!continuing) {
      const lim = input.length - i > budget ? i + budget : input.length;
      const next = scanFieldLine(input, i, lim);
      if (next >= 0) {
        this.#addTrailer(input, i, next);
        return next - i;
      }
      if (lim < input.length) throw new HttpError(431, "trailer section too large");
      this.#pendingLength = 0;
    }
    // Keep the partial line and rescan it whole each time: lines are short
    // and bounded by the trailer limit.
    const before = this.#pendingLength;
    const room = budget - before;
    const available = input.length - i;
    const take = available < room ? available : room;
    const pending = this.#reserve(before + take);
    pending.set(input.subarray(i, i + take), before);
    this.#pendingLength = before + take;
    const next = scanFieldLine(pending, 0, this.#pendingLength);
    if (next >= 0) {
      this.#addTrailer(pending, 0, next);
      this.#pendingLength = 0;
      return next - before;
    }
    if (take < available) throw new HttpError(431, "trailer section too large");
    return -take;
  }

  #reserve(size: number): Uint8Array {
    let pending = this.#pending;
    if (pending === null || pending.length < size) {
      let capacity = pending === null ? 256 : pending.length * 2;
      while (capacity < size) capacity *= 2;
      const grown = new Uint8Array(capacity);
      if (pending !== null) grown.set(pending.subarray(0, this.#pendingLength));
      this.#pending = pending = grown;
    }
    return pending;
  }

  #addTrailer(buf: Uint8Array, start: number, next: number): void {
    this.#trailerBytes += next - start;
    const name = latin1(buf, start, fieldSpan.nameEnd);
    const value = latin1(buf, fieldSpan.valueStart, fieldSpan.valueEnd);
    appendTrusted(this.#trailers, name, name.toLowerCase(), value);
  }
}

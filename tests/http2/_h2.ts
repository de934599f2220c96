/**
 * Helpers of the HTTP/2 tests: hex blocks, field pairs, a seeded random
 * source, a frame parser run over bytes split every possible way, and the
 * answers a server wrote on each stream.
 *
 * @module
 */
import {
  type Frame,
  FrameParser,
  type FrameParserOptions,
  FrameType,
  HpackDecoder,
} from "../../http2/mod.ts";
import { concatBytes } from "../../internal/bytes.ts";

/** Bytes from hex such as RFC 7541 Appendix C prints them (spaces and newlines ignored). */
export function hex(s: string): Uint8Array {
  const digits = s.replace(/\s+/g, "");
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `[name, value, ...]` as pairs. */
export function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** A seeded pseudo-random source (mulberry32), so a failing run can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes concatenated. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/** A frame with its byte views copied to plain arrays, for deep comparison. */
export function plain(frame: Frame): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(frame)) {
    out[key] = value instanceof Uint8Array ? Array.from(value) : value;
  }
  return out;
}

/** Every frame the parser yields for `chunks`, pushed one after the other. */
export function parseChunks(
  chunks: Uint8Array[],
  options: FrameParserOptions = { preface: false },
): Record<string, unknown>[] {
  const parser = new FrameParser(options);
  const frames: Record<string, unknown>[] = [];
  for (const chunk of chunks) {
    parser.push(chunk);
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      frames.push(plain(frame));
    }
  }
  return frames;
}

/**
 * The frames of `bytes` parsed whole, then split in two at every offset,
 * then one byte at a time: every way must give the same frames, which are
 * returned.
 */
export function parseEveryWay(
  bytes: Uint8Array,
  options: FrameParserOptions = { preface: false },
): Record<string, unknown>[] {
  const whole = parseChunks([bytes], options);
  for (let at = 1; at < bytes.length; at++) {
    const split = parseChunks([bytes.slice(0, at), bytes.slice(at)], options);
    if (JSON.stringify(split) !== JSON.stringify(whole)) {
      throw new Error(`split at ${at} parsed differently: ${JSON.stringify(split)}`);
    }
  }
  const bytewise = parseChunks(Array.from(bytes, (b) => Uint8Array.of(b)), options);
  if (JSON.stringify(bytewise) !== JSON.stringify(whole)) {
    throw new Error(`byte by byte parsed differently: ${JSON.stringify(bytewise)}`);
  }
  return whole;
}

/** What a server answered on one stream: its `:status` and its DATA as text. */
export interface StreamAnswer {
  status: string;
  body: string;
}

/**
 * Reads frames from `client` (a connection that already sent its preface)
 * until every stream in `ids` has ended, and gives each stream's answer.
 * Fails if the connection ends first.
 */
export async function streamAnswers(
  client: { read(): Promise<Uint8Array | null> },
  ids: readonly number[],
): Promise<Map<number, StreamAnswer>> {
  const parser = new FrameParser({ preface: false });
  const decoder = new HpackDecoder();
  const text = new TextDecoder();
  const out = new Map<number, StreamAnswer>();
  const open = new Set(ids);
  while (open.size > 0) {
    const chunk = await client.read();
    if (chunk === null) throw new Error(`the connection ended with streams ${[...open]} open`);
    parser.push(chunk);
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      const answer = out.get(frame.streamId) ?? { status: "", body: "" };
      if (frame.type === FrameType.HEADERS) {
        const fields = decoder.decode(frame.headerBlock); // name, value, name, value...
        const at = fields.indexOf(":status");
        if (at !== -1) answer.status = fields[at + 1];
      } else if (frame.type === FrameType.DATA) {
        answer.body += text.decode(frame.data);
      } else {
        continue;
      }
      out.set(frame.streamId, answer);
      if (frame.endStream) open.delete(frame.streamId);
    }
  }
  return out;
}

/** Joins byte chunks into one buffer (the chunk itself when there is just one). */
export function concatBytes(chunks: readonly Uint8Array[], size?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size ?? chunks.reduce((n, chunk) => n + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Strings up to this length are checked for ASCII, to be copied as they are rather than encoded. */
const SHORT_TEXT = 1024;

/**
 * Whether `text` is short and all ASCII: then its UTF-8 bytes are its char
 * codes, as many as it has chars, and copying them costs less than a call
 * to `TextEncoder` and the buffer it allocates.
 */
export function isShortAscii(text: string): boolean {
  if (text.length > SHORT_TEXT) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Output buffers of at most `SLAB_PIECE` bytes are cut from a shared slab, as
 * Node's `Buffer` pool does: a buffer of its own per response would cost an
 * allocation outside the JavaScript heap each time (most of a small
 * response's cost on Deno and Node). A slab lives while any piece of it is
 * unwritten; pieces are never reused.
 */
const SLAB = 16384;
/** The largest piece cut from the slab. */
const SLAB_PIECE = 1024;
let slab = new Uint8Array(SLAB);
let slabAt = 0;

/**
 * Buffers from this size on are written as they are, never copied to join
 * others: the copy would cost more than the write of their own it spares.
 * The connection's corked output, the response head and the Deno transport's
 * gathered write all go by it.
 */
export const WRITE_ALONE_BYTES = 16 * 1024;

/**
 * Whether small output buffers are cut from the slab: on V8 (Deno, Node) a
 * buffer of its own is an allocation outside the JavaScript heap, while
 * JavaScriptCore (Bun) allocates a small typed array in its heap, for less
 * than a view on a slab costs (Bun 1.4.5, 150 bytes: 40-55 ns against
 * 110-440 for the view).
 */
export const SLAB_OUTPUT: boolean = !("Bun" in globalThis);

/** A new buffer of `size` bytes for the transport to keep: a slab piece when small (see `SLAB_OUTPUT`). */
export function pooledBytes(size: number): Uint8Array {
  if (size > SLAB_PIECE || !SLAB_OUTPUT) return new Uint8Array(size);
  if (slabAt + size > SLAB) {
    slab = new Uint8Array(SLAB);
    slabAt = 0;
  }
  return cut(size);
}

/**
 * The slab, with at least `SLAB_PIECE` bytes free from {@linkcode slabFree}:
 * a writer fills them in place, then {@linkcode cutPiece} takes what it wrote
 * (nothing is copied).
 */
export function slabRoom(): Uint8Array {
  if (slabAt + SLAB_PIECE > SLAB) {
    slab = new Uint8Array(SLAB);
    slabAt = 0;
  }
  return slab;
}

/** Where the free part of the slab begins. */
export function slabFree(): number {
  return slabAt;
}

/**
 * Takes the `size` bytes written in place at {@linkcode slabFree} of
 * `room` (what {@linkcode slabRoom} gave), or `null` if the slab moved on
 * meanwhile (renewed, or a piece cut): the writer copies out instead.
 */
export function cutPiece(room: Uint8Array, at: number, size: number): Uint8Array | null {
  return room === slab && at === slabAt && size <= SLAB_PIECE ? cut(size) : null;
}

function cut(size: number): Uint8Array {
  // A view made by the constructor: `subarray` looks up a species constructor first.
  const piece = new Uint8Array(slab.buffer, slabAt, size);
  slabAt += size;
  return piece;
}

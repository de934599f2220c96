import { type AwayCall, wait } from "../scheduler/mod.ts";
import type { ResponseBody } from "../httputil/respond.ts";

const EMPTY = new Uint8Array(0);

/** Resolves on the next host macrotask: by then a body that is already complete has said so. */
function nextMacrotask(): Promise<typeof PENDING> {
  return new Promise((resolve) => setImmediate(() => resolve(PENDING)));
}
const PENDING = Symbol("pending");

/**
 * Turns a Fetch `Response` body into what `respond()` writes. A body that
 * is complete at once (a string, bytes, a finished stream) becomes one
 * buffer, so it gets a `Content-Length`; anything still streaming stays a
 * stream (chunked). The Fetch API exposes no length, so this is found out by
 * reading: one chunk, then whether the stream ends before the next macrotask.
 */
export function* resolveBody(stream: ReadableStream<Uint8Array> | null): AwayCall<ResponseBody> {
  if (stream === null) return null;
  const reader = stream.getReader();
  const first = yield* wait(reader.read());
  if (first.done) return EMPTY;
  if (!(first.value instanceof Uint8Array)) {
    throw new TypeError("a response body stream must yield Uint8Array chunks");
  }
  const next = reader.read();
  const raced = yield* wait(Promise.race([next, nextMacrotask()]));
  if (raced !== PENDING && (raced as ReadableStreamReadResult<Uint8Array>).done) return first.value;
  return rest(reader, first.value, next);
}

async function* rest(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array,
  next: Promise<ReadableStreamReadResult<Uint8Array>>,
): AsyncGenerator<Uint8Array> {
  let done = false;
  try {
    yield first;
    for (let step = await next; !step.done; step = await reader.read()) yield step.value;
    done = true;
  } finally {
    // The client went away or writing failed: tell the producer.
    if (!done) await reader.cancel().catch(() => {});
  }
}

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
 *
 * If `signal` aborts (the client left) while this waits for the stream, or
 * the thread is ended, the stream is cancelled: a producer that has nothing
 * to say yet is not left waiting forever.
 */
export function* resolveBody(
  stream: ReadableStream<Uint8Array> | null,
  signal?: AbortSignal,
): AwayCall<ResponseBody> {
  if (stream === null) return null;
  const reader = stream.getReader();
  const cancel = (): void => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  let handedOver = false;
  try {
    const first = yield* wait(reader.read());
    if (first.done) return EMPTY;
    if (!(first.value instanceof Uint8Array)) {
      throw new TypeError("a response body stream must yield Uint8Array chunks");
    }
    const next = reader.read();
    const raced = yield* wait(Promise.race([next, nextMacrotask()]));
    handedOver = true;
    if (raced !== PENDING && (raced as ReadableStreamReadResult<Uint8Array>).done) {
      return first.value;
    }
    return rest(reader, first.value, next);
  } finally {
    signal?.removeEventListener("abort", cancel);
    if (!handedOver) cancel();
  }
}

/**
 * The body from its first chunk on, as a stream (not an async generator:
 * cancelling a generator waits for the read it is parked on, which may
 * never come, while cancelling a stream cancels that read).
 */
function rest(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array,
  next: Promise<ReadableStreamReadResult<Uint8Array>>,
): ReadableStream<Uint8Array> {
  let head: Uint8Array | null = first;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = next;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (head !== null) {
        controller.enqueue(head);
        head = null;
        return;
      }
      const step = await (pending ?? reader.read());
      pending = null;
      if (step.done) controller.close();
      else controller.enqueue(step.value);
    },
    // The client went away or writing failed: tell the producer.
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

import type { ResponseBody } from "../httputil/respond.ts";
import type { SignalSource } from "./_client_signal.ts";

const EMPTY = new Uint8Array(0);
const PENDING = Symbol("pending");
/**
 * Microtasks a body that is complete at once gets to say it has ended.
 * Measured: strings, bytes, JSON and URLSearchParams end within 1 on Deno,
 * Bun and Node, a Blob within 4 (Deno); FormData streams on every runtime.
 * A body that takes longer is sent chunked: still correct, only without a
 * Content-Length.
 */
const SETTLE_MICROTASKS = 4;

/** Resolves after {@linkcode SETTLE_MICROTASKS} microtasks, before any macrotask (so no event-loop turn is spent). */
function soon(): Promise<typeof PENDING> {
  let settled = Promise.resolve<typeof PENDING>(PENDING);
  for (let i = 0; i < SETTLE_MICROTASKS; i++) settled = settled.then(same);
  return settled;
}
const same = (value: typeof PENDING): typeof PENDING => value;

/**
 * Turns a Fetch `Response` body into what `respond()` writes. A body that
 * is complete at once (a string, bytes, a finished stream) becomes one
 * buffer, so it gets a `Content-Length`; anything still streaming stays a
 * stream (chunked). The Fetch API exposes no length, so this is found out by
 * reading: one chunk, then whether the stream ends within a few microtasks.
 *
 * If the client leaves (`client.signal` aborts) while this waits for the
 * stream, the stream is cancelled: a producer that has nothing to say yet is
 * not left waiting forever.
 */
export async function resolveBody(
  stream: ReadableStream<Uint8Array> | null,
  client?: SignalSource,
): Promise<ResponseBody> {
  if (stream === null) return null;
  const reader = stream.getReader();
  let handedOver = false;
  try {
    const first = await readWatched(reader, client);
    if (first.done) return EMPTY;
    if (!(first.value instanceof Uint8Array)) {
      throw new TypeError("a response body stream must yield Uint8Array chunks");
    }
    const next = reader.read();
    const raced = await Promise.race([next, soon()]);
    handedOver = true;
    if (raced !== PENDING && (raced as ReadableStreamReadResult<Uint8Array>).done) {
      return first.value;
    }
    return rest(reader, first.value, next);
  } finally {
    if (!handedOver) cancel(reader);
  }
}

/**
 * A read that waits with the client's signal watched, so a client that
 * leaves cancels it. Most bodies answer at once: the signal is looked at
 * (and so made, see `ClientSignal`) only if not.
 */
async function readWatched(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  client: SignalSource | undefined,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const reading = reader.read();
  const step = await Promise.race([reading, soon()]);
  if (step !== PENDING || client === undefined) return reading;
  const signal = client.signal;
  const stop = (): void => cancel(reader, signal.reason);
  if (signal.aborted) stop();
  signal.addEventListener("abort", stop, { once: true });
  try {
    return await reading;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

function cancel(reader: ReadableStreamDefaultReader<Uint8Array>, reason?: unknown): void {
  reader.cancel(reason).catch(() => {});
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

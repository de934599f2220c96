/**
 * Server-sent events (the `text/event-stream` format of the HTML standard):
 * a stream that turns event objects into bytes, and a `Response` for it.
 *
 * @module
 */

/**
 * One server-sent event. Every field is optional, but at least one must be
 * given.
 *
 * @example
 * ```ts
 * import type { ServerSentEvent } from "@hussar/core/helpers";
 * const event: ServerSentEvent = { event: "tick", id: 1, data: "line one\nline two" };
 * console.log(event.event); // tick
 * ```
 */
export interface ServerSentEvent {
  /** The payload; a multi-line value is sent as several `data:` lines. */
  data?: string;
  /** The event type (the client's `addEventListener` name); no CR or LF. */
  event?: string;
  /** The last-event id the client sends back on reconnection; no CR, LF or NUL. */
  id?: string | number;
  /** The client's reconnection delay in milliseconds (a non-negative integer). */
  retry?: number;
  /** A comment line (ignored by clients; useful as a keep-alive); may span lines. */
  comment?: string;
}

/**
 * Thrown (and erroring the stream) for an event that cannot be encoded: a
 * CR, LF (or, in an id, NUL) in a single-line field, a bad `retry`, or an
 * event with no field at all. `field` names the offending field.
 *
 * @example
 * ```ts
 * import { ServerSentEventError, encodeServerSentEvent } from "@hussar/core/helpers";
 * try {
 *   encodeServerSentEvent({ event: "a\nb", data: "x" });
 * } catch (error) {
 *   console.log(error instanceof ServerSentEventError && error.field); // event
 * }
 * ```
 */
export class ServerSentEventError extends TypeError {
  /** The field that could not be encoded. */
  readonly field: keyof ServerSentEvent | "event object";

  /** Makes the error for `field`, with a reason. */
  constructor(field: keyof ServerSentEvent | "event object", reason: string) {
    super(`server-sent event ${field}: ${reason}`);
    this.name = "ServerSentEventError";
    this.field = field;
  }
}

const NEWLINE = /\r\n|\r|\n/;
const encoder = new TextEncoder();

function singleLine(field: "event" | "id", value: string): string {
  if (/[\r\n]/.test(value)) throw new ServerSentEventError(field, "must not contain CR or LF");
  // A client ignores an id holding NUL, which would silently break reconnection.
  if (field === "id" && value.includes("\0")) {
    throw new ServerSentEventError(field, "must not contain NUL");
  }
  return value;
}

/**
 * Encodes one event as `text/event-stream` text, ending with the blank line
 * that dispatches it.
 *
 * @example
 * ```ts
 * import { encodeServerSentEvent } from "@hussar/core/helpers";
 * console.log(JSON.stringify(encodeServerSentEvent({ event: "greet", data: "hi\nthere" })));
 * // "event: greet\ndata: hi\ndata: there\n\n"
 * ```
 */
export function encodeServerSentEvent(event: ServerSentEvent): string {
  if (typeof event !== "object" || event === null) {
    throw new ServerSentEventError("event object", "must be an object");
  }
  let text = "";
  if (event.comment !== undefined) {
    for (const line of String(event.comment).split(NEWLINE)) text += `:${line ? ` ${line}` : ""}\n`;
  }
  if (event.event !== undefined) text += `event: ${singleLine("event", String(event.event))}\n`;
  if (event.id !== undefined) text += `id: ${singleLine("id", String(event.id))}\n`;
  if (event.retry !== undefined) {
    if (!Number.isSafeInteger(event.retry) || event.retry < 0) {
      throw new ServerSentEventError("retry", `must be a non-negative integer, not ${event.retry}`);
    }
    text += `retry: ${event.retry}\n`;
  }
  if (event.data !== undefined) {
    for (const line of String(event.data).split(NEWLINE)) text += `data: ${line}\n`;
  }
  if (text === "") {
    throw new ServerSentEventError(
      "event object",
      "needs at least one of data, event, id, retry, comment",
    );
  }
  return text + "\n";
}

/**
 * A `TransformStream` from {@linkcode ServerSentEvent} objects to the UTF-8
 * bytes of `text/event-stream`. A bad event errors the stream with a
 * {@linkcode ServerSentEventError}.
 *
 * @example
 * ```ts
 * import { ServerSentEventStream } from "@hussar/core/helpers";
 * const bytes = ReadableStream.from([{ data: "one" }, { event: "end", data: "two" }])
 *   .pipeThrough(new ServerSentEventStream());
 * console.log(JSON.stringify(await new Response(bytes).text()));
 * // "data: one\n\nevent: end\ndata: two\n\n"
 * ```
 */
export class ServerSentEventStream extends TransformStream<ServerSentEvent, Uint8Array> {
  /** Makes the stream; it has no options. */
  constructor() {
    super({
      transform(event, controller) {
        controller.enqueue(encoder.encode(encodeServerSentEvent(event)));
      },
    });
  }
}

/** A stream of events from an async iterable, pulled one at a time; cancelling returns the iterator. */
function fromIterable(events: AsyncIterable<ServerSentEvent>): ReadableStream<ServerSentEvent> {
  const iterator = events[Symbol.asyncIterator]();
  return new ReadableStream<ServerSentEvent>({
    async pull(controller) {
      const step = await iterator.next();
      if (step.done) controller.close();
      else controller.enqueue(step.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * A streaming `Response` of server-sent events, with `Content-Type:
 * text/event-stream` and `Cache-Control: no-cache` (both may be overridden
 * through `init.headers`). When the client goes away the events stream is
 * cancelled (an async generator's `finally` runs).
 *
 * @example
 * ```ts
 * import { sseResponse } from "@hussar/core/helpers";
 * async function* ticks() {
 *   for (let i = 0; i < 2; i++) yield { id: i, data: `tick ${i}` };
 * }
 * const response = sseResponse(ticks());
 * console.log(response.headers.get("content-type")); // text/event-stream
 * console.log(JSON.stringify(await response.text())); // "id: 0\ndata: tick 0\n\nid: 1\ndata: tick 1\n\n"
 * ```
 */
export function sseResponse(
  events: ReadableStream<ServerSentEvent> | AsyncIterable<ServerSentEvent>,
  init: ResponseInit = {},
): Response {
  const source = events instanceof ReadableStream ? events : fromIterable(events);
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "text/event-stream");
  if (!headers.has("cache-control")) headers.set("cache-control", "no-cache");
  return new Response(source.pipeThrough(new ServerSentEventStream()), { ...init, headers });
}

import type { ShuttleHandler } from "../core/shuttle.ts";
import { HttpError } from "../httputil/errors.ts";
import { type AwayCall, wait } from "../scheduler/mod.ts";
import type { Shuttle } from "../workers/shuttle.ts";
import {
  type Answer,
  answer,
  type BodyState,
  buildRequest,
  type ErrorResponder,
} from "./_exchange.ts";
import { shuttleDuplex } from "./_shuttle_duplex.ts";
import { markUpgradable } from "../internal/upgrade.ts";
import type { FetchHandler, ServeHandlerInfo } from "./types.ts";

/**
 * The request body as a pull-based stream: each pull asks the worker for one
 * chunk. A read that fails is kept as {@linkcode BodyState.failure}.
 */
class ShuttleBody implements BodyState {
  failure: unknown = null;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(shuttle: Shuttle) {
    this.stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let bytes: Uint8Array | null;
        try {
          bytes = await shuttle.read();
        } catch (error) {
          throw (this.failure = error);
        }
        if (bytes === null) controller.close();
        else controller.enqueue(bytes);
      },
    }, { highWaterMark: 0 });
  }
}

const NO_BODY: BodyState = { failure: null };

/** What the engines do with a failure after the handler's (see `HttpServerOptions`). */
export interface ShuttleFailure {
  /** Reports it (the engines' default: the logger). */
  report: (error: unknown) => void;
  /** Whether the 500 says why. */
  debug: boolean;
}

/**
 * Worker mode's counterpart of `fetchApp`: serves each shuttle with a fetch
 * handler on the main thread, sending the response back through the
 * shuttle (all at once when the body is complete at once, else chunk by
 * chunk, one in flight).
 */
export function fetchShuttle(
  handler: FetchHandler,
  onError: ErrorResponder,
  failure: ShuttleFailure,
  shutdown?: AbortSignal,
): ShuttleHandler<Shuttle> {
  return function* (shuttle: Shuttle): AwayCall<void> {
    const { head } = shuttle;
    const requestBody = head.hasBody ? new ShuttleBody(shuttle) : null;
    let request: Request;
    try {
      request = buildRequest(
        head.url,
        head.method,
        head.headers,
        requestBody?.stream ?? null,
        shuttle,
      );
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      shuttle.respond({
        status: error.status,
        headers: [["content-type", "text/plain; charset=utf-8"], ["connection", "close"]],
      }, `${error.message}\n`);
      return;
    }
    const info: ServeHandlerInfo = {
      remoteAddr: head.remoteAddr,
      localAddr: head.localAddr,
      completed: shuttle.completed,
    };
    markUpgradable(request, head.version, request.headers.has("upgrade"));
    let answered: Answer;
    try {
      const given = answer(handler, request, info, onError, shuttle, requestBody ?? NO_BODY);
      answered = given instanceof Promise ? yield* wait(given) : given;
    } catch (error) {
      // The client's fault: gone, or its body failed, which the worker answers itself
      // (400/408/413 and a close) once it has any head from here.
      if (shuttle.signal.aborted) return;
      if (requestBody?.failure != null) return shuttle.respond({ status: 400, headers: [] }, null);
      // The response could not be taken apart (a used body, ...): the engines' 500 and a close.
      failure.report(error);
      const reason = failure.debug
        ? `internal server error: ${error instanceof Error ? error.message : String(error)}`
        : "internal server error";
      return shuttle.respond({
        status: 500,
        headers: [["content-type", "text/plain; charset=utf-8"], ["connection", "close"]],
      }, `${reason}\n`);
    }
    const { upgrade, parts } = answered;
    if (upgrade !== null) {
      // The worker relays raw bytes; the new protocol runs here.
      shuttle.switchProtocols([...upgrade.response.headers]);
      yield* wait(upgrade.start(shuttleDuplex(shuttle), shutdown));
      yield* wait(shuttle.end());
      return;
    }
    const responseHead = {
      status: parts.status,
      statusText: parts.statusText,
      headers: [...parts.headers] as [string, string][], // posted, never changed
    };
    const body = typeof parts.body === "string" ? new TextEncoder().encode(parts.body) : parts.body;
    if (body === null || body === undefined || body instanceof Uint8Array) {
      shuttle.respond(responseHead, body ?? null);
    } else {
      shuttle.respond(responseHead, null, false);
      yield* wait(pipe(body as AsyncIterable<Uint8Array>, shuttle)); // serve's bodies are (see `resolveBody`)
    }
    // The thread lives until the worker has written it all: `whenEmpty()` means nothing in flight.
    yield* wait(shuttle.end());
  };
}

/** Sends a streamed body one chunk at a time; a client that leaves cancels it at once. */
async function pipe(body: AsyncIterable<Uint8Array>, shuttle: Shuttle): Promise<void> {
  const chunks = body[Symbol.asyncIterator]();
  // A read may wait forever (an idle event stream): cancelling settles it.
  const stop = (): void => void chunks.return?.(shuttle.signal.reason)?.then(undefined, () => {});
  shuttle.signal.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const step = await chunks.next();
      if (step.done || shuttle.closed) break;
      if (!(step.value instanceof Uint8Array)) {
        throw new TypeError("a response stream must yield Uint8Array chunks");
      }
      await shuttle.write(step.value);
    }
  } catch (error) {
    shuttle.abort(
      `response body failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    shuttle.signal.removeEventListener("abort", stop);
    if (shuttle.closed) stop();
  }
}

/**
 * The steps of one fetch-style exchange, shared by the single-thread engine
 * (fetch_app.ts) and worker mode (_fetch_shuttle.ts): build the `Request`,
 * call the handler (errors to `onError`), and take the `Response` apart for
 * writing.
 *
 * @module
 */
import type { Logger } from "../internal/logger.ts";
import { type SettledSignal, type Signal, type ThreadYield, wait } from "../scheduler/mod.ts";
import { HttpError } from "../httputil/errors.ts";
import { HeaderList } from "../httputil/headers.ts";
import type { HttpResponse, ResponseBody } from "../httputil/respond.ts";
import { isNullBodyStatus } from "../httputil/status.ts";
import { type PendingUpgrade, takeUpgrade } from "../internal/upgrade.ts";
import { signalledRequest, type SignalSource } from "./_client_signal.ts";
import {
  appendFields,
  FROM_TEMPLATE,
  getInput,
  hasFields,
  requestInput,
} from "./_request_template.ts";
import { resolveBody, SizedBody } from "./_response_body.ts";
import {
  type Fields,
  givenAsStream,
  responseFields,
  standardizeResponse,
  takeStringBody,
} from "./_standard_response.ts";
import { upgradeResponse } from "./_upgrade.ts";
import type { FetchHandler, ServeHandlerInfo } from "./types.ts";

// The same response on every runtime (Bun leaves a string body's Content-Type implicit),
// and string bodies sent as they are.
standardizeResponse();

/** Turns a handler's error into a response. */
export type ErrorResponder = (error: unknown) => Response | Promise<Response>;

/**
 * The `onError` an exchange uses: the one given, falling back (when there is
 * none, or it throws too) to logging the error and answering 500, which says
 * nothing of it to the client. It never throws.
 */
export function errorResponder(
  onError: ErrorResponder | undefined,
  logger: Logger,
): ErrorResponder {
  const answer500 = (error: unknown, what: string): Response => {
    logger.error(what, error);
    return new Response("Internal Server Error", {
      status: 500,
      headers: { "content-type": "text/plain" },
    });
  };
  if (onError === undefined) return (error) => answer500(error, "fetch handler failed");
  return async (error) => {
    try {
      return await onError(error);
    } catch (failure) {
      return answer500(failure, "onError failed");
    }
  };
}

const METHODS_WITHOUT_BODY = new Set(["GET", "HEAD"]);

/** Whether a request with this method and framing has a body for the handler. */
export function requestHasBody(method: string, framed: boolean): boolean {
  return framed && !METHODS_WITHOUT_BODY.has(method);
}

/**
 * The Web `Request` for a parsed head, its `signal` that of `client` (see
 * `_client_signal.ts`); one the Fetch API refuses is a 400.
 */
export function buildRequest(
  url: string,
  method: string,
  headers: HeaderList | Iterable<readonly [string, string]>,
  body: ReadableStream<Uint8Array> | Uint8Array | null,
  client: SignalSource,
): Request {
  try {
    // A GET without a body needs no init (converting one costs), and the fields go in one by one:
    // cheaper than an init's list of pairs on Node and Bun, the same on Deno. A template (Deno,
    // Bun) is copied so that the copy follows no signal of the template's (`FROM_TEMPLATE`).
    const get = method === "GET" && body === null;
    // A GET's template may have its fields too (Deno, Bun: `getInput`), then none is appended.
    const input = get && headers instanceof HeaderList ? getInput(url, headers) : requestInput(url);
    const request = get
      ? signalledRequest(input, input === url ? undefined : FROM_TEMPLATE, client)
      // Node's fetch requires `duplex` for a streamed body (and takes it for bytes).
      : signalledRequest(
        input,
        { method, body, duplex: "half", signal: null } as RequestInit,
        client,
      );
    if (hasFields(input)) return request;
    const fields = request.headers;
    if (headers instanceof HeaderList) appendFields(headers, fields);
    else for (const [name, value] of headers) fields.append(name, value);
    return request;
  } catch (error) {
    throw invalidRequest(error);
  }
}

/**
 * A GET's template `Request` (see `_head_template.ts`): the runtime's own,
 * with no signal of ours; one the Fetch API refuses is a 400.
 */
export function templateRequest(url: string, headers: HeaderList): Request {
  try {
    const request = new Request(url);
    appendFields(headers, request.headers);
    return request;
  } catch (error) {
    throw invalidRequest(error);
  }
}

/** A copy of a GET's template, its `signal` that of `client`. */
export function copyRequest(template: Request, client: SignalSource): Request {
  return signalledRequest(template, undefined, client);
}

function invalidRequest(error: unknown): HttpError {
  return new HttpError(
    400,
    `invalid request: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** A request body as the engine reads it (an `IncomingRequest`'s `BodyReader`, a shuttle's body). */
export interface BodyState {
  /**
   * Why reading it failed (its framing, a limit, a deadline, the client
   * leaving), or `null`: the client's fault, which the engine answers.
   */
  readonly failure: unknown;
}

/** What to call once the response is written (no argument), or could not be (the error). */
export type OnWritten = (error?: unknown) => void;

/** A `Response` taken apart for writing: for the HTTP/1.1 engine, an `HttpResponse` as it is. */
export interface ResponseParts {
  status: number;
  statusText: string | undefined;
  /** The `Response`'s `headers`, or the fields it was made with if nobody read them (see `responseFields`). */
  headers: Headers | Fields;
  /** Bytes when complete at once (so a Content-Length can be given), a stream otherwise. */
  body: ResponseBody;
  onWritten: OnWritten | undefined;
}

/**
 * Takes a `Response` apart; a HEAD or null-body status gets no body (its
 * producer is released). A string body is there at once; another is read
 * (see `resolveBody`: a stream the program gave is sent as it is made past a
 * small bound), and a client that leaves cancels a body stream still waited
 * for.
 */
function responseParts(
  response: Response,
  method: string,
  client: SignalSource,
  onWritten: OnWritten | undefined,
): ResponseParts | Promise<ResponseParts> {
  // Fields first: Bun fills in a body's Content-Type lazily, and loses it once the body is taken.
  const headers = responseFields(response);
  const status = response.status;
  const statusText = response.statusText || undefined;
  const text = takeStringBody(response);
  if (method === "HEAD" || isNullBodyStatus(status)) {
    // No body goes out: an endless stream would otherwise hang.
    if (text === undefined) response.body?.cancel().catch(() => {});
    return { status, statusText, headers, body: null, onWritten };
  }
  if (text !== undefined) return { status, statusText, headers, body: text, onWritten };
  return resolveBody(response.body, client, givenAsStream(response)).then((body) =>
    body instanceof SizedBody
      ? { status, statusText, headers: sized(headers, body.size), body: body.stream, onWritten }
      : { status, statusText, headers, body, onWritten }
  );
}

/** `headers` with the body's `Content-Length` (a copy: a `Response`'s may be immutable). */
function sized(headers: Headers | Fields, size: number): Headers {
  const copy = new Headers(headers as HeadersInit);
  copy.set("content-length", String(size));
  return copy;
}

/** What the handler answered: a response to write, or a protocol switch to carry out. */
export type Answer =
  | { readonly upgrade: null; readonly parts: ResponseParts }
  | { readonly upgrade: PendingUpgrade; readonly parts: null };

/**
 * On Bun, `Bun.peek`: the value of a Promise that has already settled, read
 * now (the Promise itself while pending). A handler that answers through an
 * `async` function without waiting has its `Response` written in the same
 * turn: no microtask, no thread parked on the Promise, no generator.
 */
const peek = (globalThis as { Bun?: { peek?: PeekLike } }).Bun?.peek ?? null;

interface PeekLike {
  (promise: unknown): unknown;
  status(promise: unknown): "pending" | "fulfilled" | "rejected";
}

/**
 * One exchange's work in the handler's world: calls the handler and checks
 * it gave a `Response`, then either claims an accepted upgrade or takes the
 * `Response` apart for writing. A handler that answers at once (a `Response`,
 * or on Bun a Promise already fulfilled) is answered at once; one that waits
 * is answered by `later`: a single Promise (a thread waits for it once, not
 * once per step), or for the HTTP/1.1 engine {@linkcode awaitAnswer}. A
 * failure of the handler is answered by `onError` (or the default 500 if
 * that fails too), unless it is the client's: the client is gone, or
 * its body failed (rethrown, so that the engine answers 400/408/413 and
 * closes; never reported as the app's).
 *
 * The handler runs in the caller's turn, as `Bun.serve` and `Deno.serve` call
 * theirs. Given `onWritten`, it answers as the HTTP/1.1 and HTTP/2 engines
 * take it: the response's parts with `onWritten`, or the 101 that carries out
 * the upgrade (no object in between, nor a step more).
 */
export function answer(
  handler: FetchHandler,
  request: Request,
  info: ServeHandlerInfo,
  onError: ErrorResponder,
  client: SignalSource,
  body: BodyState,
): Answer | Promise<Answer>;
export function answer<Wait = never>(
  handler: FetchHandler,
  request: Request,
  info: ServeHandlerInfo,
  onError: ErrorResponder,
  client: SignalSource,
  body: BodyState,
  onWritten: OnWritten,
  later?: (...args: Parameters<typeof answerLater>) => Wait,
): HttpResponse | Promise<HttpResponse> | Wait;
export function answer(
  handler: FetchHandler,
  request: Request,
  info: ServeHandlerInfo,
  onError: ErrorResponder,
  client: SignalSource,
  body: BodyState,
  onWritten?: OnWritten,
  later: (...args: Parameters<typeof answerLater>) => unknown = answerLater,
): unknown {
  let result: unknown;
  try {
    result = handler(request, info);
  } catch (error) {
    return recover(error, request, onError, client, body, onWritten);
  }
  if (!(result instanceof Response)) {
    const value = peek === null ? null : peek(result);
    // A rejected Promise's reason may be a Response too: that is no answer.
    if (!(value instanceof Response) || peek!.status(result) !== "fulfilled") {
      return later(result, request, onError, client, body, onWritten);
    }
    result = value;
  }
  return respondWith(result as Response, request, client, onWritten);
}

/**
 * {@linkcode answer} for a handler that answers through a Promise still
 * pending (or failed), or the wrong thing. One reaction on the handler's
 * Promise, not an `async` function awaiting it: that would add its own
 * Promise, frame and await closures for each request (per request on Node 26:
 * 366 B against 153).
 */
function answerLater(
  result: unknown,
  request: Request,
  onError: ErrorResponder,
  client: SignalSource,
  body: BodyState,
  onWritten: OnWritten | undefined,
): Promise<Answer | HttpResponse> {
  return adopt(result).then(
    (value) => answerValue(value, request, onError, client, body, onWritten),
    (error) => recover(error, request, onError, client, body, onWritten),
  );
}

/**
 * The handler's result as a Promise: a native one as it is, a thenable or a
 * value adopted (as `await` would), a thenable whose `constructor` throws
 * rejected with that error.
 */
function adopt(result: unknown): Promise<unknown> {
  try {
    return Promise.resolve(result);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** {@linkcode awaitAnswer}'s generator, run by the engine's thread with `yield*`. */
export type AnswerWait = Generator<ThreadYield, HttpResponse, Signal>;

/**
 * {@linkcode answerLater} for the HTTP/1.1 engine, whose thread waits for a
 * yielded Promise itself: the handler's Promise is yielded to the scheduler
 * as it is, and the answer is taken apart in the thread once it resumes. One
 * reaction (the scheduler's) and no derived Promise of ours in between: a
 * microtask fewer per answer than the Promise `answerLater` returns.
 */
export function* awaitAnswer(
  ...[result, request, onError, client, body, onWritten]: Parameters<typeof answerLater>
): AnswerWait {
  const given = (yield adopt(result)) as SettledSignal;
  const answer = given.ok
    ? answerValue(given.value, request, onError, client, body, onWritten)
    : recover(given.error, request, onError, client, body, onWritten);
  // A Promise still: a body read within a few microtasks, or `onError`'s answer.
  return answer instanceof Promise
    ? yield* wait(answer as Promise<HttpResponse>)
    : answer as HttpResponse;
}

/** The handler's Promise fulfilled with `value`: a `Response` is the answer, anything else fails. */
function answerValue(
  value: unknown,
  request: Request,
  onError: ErrorResponder,
  client: SignalSource,
  body: BodyState,
  onWritten: OnWritten | undefined,
): Answer | HttpResponse | Promise<Answer | HttpResponse> {
  return value instanceof Response ? respondWith(value, request, client, onWritten) : recover(
    new TypeError(
      `the fetch handler must return a Response, not ${Object.prototype.toString.call(value)}`,
    ),
    request,
    onError,
    client,
    body,
    onWritten,
  );
}

/** The handler failed: `onError`'s answer, unless the failure is the client's (rethrown). */
async function recover(
  error: unknown,
  request: Request,
  onError: ErrorResponder,
  client: SignalSource,
  body: BodyState,
  onWritten: OnWritten | undefined,
): Promise<Answer | HttpResponse> {
  if (body.failure !== null) throw body.failure;
  if (client.signal.aborted) throw error; // nobody is left to answer
  return respondWith(await onError(error), request, client, onWritten);
}

/** What the handler answered, taken apart for writing (or the upgrade it accepted). */
function respondWith(
  result: Response,
  request: Request,
  client: SignalSource,
  onWritten: OnWritten | undefined,
): Answer | HttpResponse | Promise<Answer | HttpResponse> {
  const upgrade = takeUpgrade(request, result);
  if (upgrade !== null) {
    return onWritten === undefined ? { upgrade, parts: null } : upgradeResponse(upgrade, onWritten);
  }
  const parts = responseParts(result, request.method, client, onWritten);
  if (onWritten !== undefined) return parts;
  return parts instanceof Promise ? parts.then(asAnswer) : asAnswer(parts);
}

function asAnswer(parts: ResponseParts): Answer {
  return { upgrade: null, parts };
}

import type { Connection } from "../core/connection.ts";
import { ConnectionClosedError, DeadlineError } from "../core/errors.ts";
import type { HussarHandler } from "../core/hussar.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";
import {
  type AwayCall,
  getCurrentScheduler,
  type Scheduler,
  type SettledSignal,
  type Signal,
  Stepper,
  type ThreadYield,
  wait,
} from "../scheduler/mod.ts";
import { EarliestTimer } from "../internal/earliest_timer.ts";
import { PARK_INPUT, UNPARK } from "../internal/connection_slots.ts";
import { type BodyReader, DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import { MADE_BODY, PREFETCH } from "./_body_slots.ts";
import { KEEP_HEAD, type KeepingOptions, KeptHead } from "./_repeated_head.ts";
import { HttpError } from "./errors.ts";
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from "./limits.ts";
import { defaultMethods, isStandardMethod } from "./methods.ts";
import { type HttpResponse, type RequestContext, respond, respondNow } from "./respond.ts";
import { serializeResponse } from "./serialize.ts";
import {
  type Incoming,
  type IncomingRequest,
  requestNow,
  waitForRequest,
  type WaitForRequestOptions,
} from "./wait_for_request.ts";

/** What an {@linkcode HttpApp} may return: a response (directly, by Promise, or as a thread's result), or nothing if it responded itself. */
export type HttpAppResult =
  | HttpResponse
  | void
  | PromiseLike<HttpResponse | void>
  | Generator<ThreadYield, HttpResponse | void, Signal>;

/**
 * An application served by {@linkcode httpHandler}: called once per request.
 * It may read `request.body`, and return a response or write one itself
 * with `respondOn(conn, ...)`.
 */
export type HttpApp = (request: IncomingRequest, conn: Connection) => HttpAppResult;

/** Limits and timeouts of the HTTP/1.1 engine. Every field has a safe default. */
export interface HttpServerOptions {
  /** Head size limits (defaults: 16 KiB head and 100 fields → 431, 8 KiB target → 414). */
  limits?: Partial<ParseLimits>;
  /** Largest request body, in bytes (default 64 MiB → 413). */
  maxBodyBytes?: number;
  /** Time for a whole request head to arrive, from its first byte (default 30 s → 408). Also the wait for a first request. */
  headersTimeoutMs?: number;
  /** Time the client may stay silent while the handler reads the body (default 30 s → 408). */
  bodyTimeoutMs?: number;
  /**
   * Time an idle keep-alive connection is kept waiting for its next request
   * (default 5 s). Kept-alive responses advertise it, one second less and in
   * whole seconds, as `Keep-Alive: timeout=N` (none below 2 s), so a client
   * that reuses a connection within N seconds finds the server still there.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Time the app has, from the end of the request head (reading the body
   * included), to return its response (default 60 s; 0 for none). Past it
   * the client gets 503 and a close if no byte of a response was written,
   * else the connection is aborted; either way the connection closes, so a
   * fetch handler's `request.signal` aborts. A streaming body is not
   * timed once its head is out.
   */
  requestTimeoutMs?: number;
  /**
   * Time a client has to take each high-water mark (64 KiB) of queued
   * response, or the rest of it at the end (default 60 s). Past it the
   * connection is aborted: a client that stops reading holds neither memory
   * nor a connection for long.
   */
  writeTimeoutMs?: number;
  /** Unread body bytes discarded to keep a connection alive; beyond this it is closed (default 64 KiB). */
  maxDrainBytes?: number;
  /** Methods served (default {@linkcode defaultMethods}); others get 501. */
  methods?: readonly string[];
  /** Require a Host header on HTTP/1.1 requests (default true, as RFC 9112 says). */
  requireHost?: boolean;
  /** Put error details in 500 responses (default false: never leak internals). */
  debug?: boolean;
  /** Receives errors thrown by the app (default: the logger's `error`). */
  onError?: (error: unknown, request: IncomingRequest) => void;
  /** Where the default `onError` reports (`false`: nowhere). Default: the console. */
  logger?: Logger | false;
  /**
   * Once aborted, each connection finishes its current exchange (answered
   * with `Connection: close`) and closes instead of waiting for another.
   */
  shutdown?: AbortSignal;
}

/**
 * The defaults of {@linkcode HttpServerOptions}, resolved.
 *
 * @example
 * ```ts
 * import { DEFAULT_HTTP_OPTIONS } from "@hussar/core/httputil";
 * console.log(DEFAULT_HTTP_OPTIONS.keepAliveTimeoutMs); // 5000
 * ```
 */
export const DEFAULT_HTTP_OPTIONS: Readonly<{
  limits: ParseLimits;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
  writeTimeoutMs: number;
  maxDrainBytes: number;
}> = Object.freeze({
  limits: DEFAULT_PARSE_LIMITS,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  requestTimeoutMs: 60_000,
  writeTimeoutMs: 60_000,
  maxDrainBytes: 64 * 1024,
});

/**
 * Turns an {@linkcode HttpApp} into a hussar connection handler: the
 * HTTP/1.1 keep-alive loop with strict parsing, limits, deadlines,
 * pipelining (responses in request order), `Expect: 100-continue`, and
 * error responses (4xx with a reason, 500 for a failing app) followed by a
 * close where the protocol requires it.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { httpHandler } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   handler: httpHandler((request) => ({ status: 200, body: `you asked for ${request.head.target}` })),
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
 * console.log((await client.readText()).endsWith("you asked for /x")); // true
 * await hussar.close();
 * ```
 */
export function httpHandler(app: HttpApp, options: HttpServerOptions = {}): HussarHandler {
  const common = resolveHttpLimits(options);
  const settings: Settings = {
    ...common,
    keepAliveAdvertised: advertisedKeepAlive(common.keepAliveTimeoutMs),
    maxDrainBytes: options.maxDrainBytes ?? DEFAULT_HTTP_OPTIONS.maxDrainBytes,
    onError: options.onError ?? logTo(resolveLogger(options.logger)),
    requestDeadlines: new RequestDeadlinesByScheduler(common.requestTimeoutMs),
  };
  return (conn) => new ServeLoop(conn, app, settings).asThreadBody();
}

/** @internal The default `onError` of both engines: the error goes to the logger. */
export function logTo(logger: Logger): (error: unknown) => void {
  return (error) => logger.error("request handler failed", error);
}

/**
 * @internal The limits and deadlines this engine and HTTP/2's (`http2/`)
 * take from the same options, with their defaults.
 */
export interface HttpLimits {
  limits: ParseLimits;
  requireHost: boolean;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
  writeTimeoutMs: number;
  methods: Set<string>;
  debug: boolean;
  shutdown: AbortSignal | undefined;
}

/** @internal {@linkcode HttpLimits} from the options, defaults filled in. */
export function resolveHttpLimits(options: Omit<HttpServerOptions, "onError">): HttpLimits {
  return {
    limits: { ...DEFAULT_PARSE_LIMITS, ...options.limits },
    requireHost: options.requireHost ?? true,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_HTTP_OPTIONS.maxBodyBytes,
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HTTP_OPTIONS.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_HTTP_OPTIONS.bodyTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? DEFAULT_HTTP_OPTIONS.keepAliveTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_HTTP_OPTIONS.requestTimeoutMs,
    writeTimeoutMs: options.writeTimeoutMs ?? DEFAULT_HTTP_OPTIONS.writeTimeoutMs,
    methods: new Set(options.methods ?? defaultMethods),
    debug: options.debug ?? false,
    shutdown: options.shutdown,
  };
}

type Settings = HttpLimits & {
  /** What responses advertise as `Keep-Alive: timeout=N` (see `advertisedKeepAlive`). */
  keepAliveAdvertised: number | undefined;
  maxDrainBytes: number;
  onError: (error: unknown, request: IncomingRequest) => void;
  requestDeadlines: RequestDeadlinesByScheduler;
};

const { PARKED, DONE } = Stepper;

/**
 * A connection's reading options: the server's, its own kept head, and its
 * phase marked at the first byte. A class, not a literal: V8 runs a
 * constructor called once per connection in Maglev code, where a literal's
 * computed key (the symbol) is a runtime call (~1.6k instructions on Node 26)
 * and its arrow a closure allocated in the old generation.
 */
class Reading implements WaitForRequestOptions, KeepingOptions {
  readonly limits: ParseLimits;
  readonly requireHost: boolean;
  readonly maxBodyBytes: number;
  readonly idleTimeoutMs: number;
  readonly [KEEP_HEAD] = new KeptHead();
  readonly #conn: Connection;

  constructor(conn: Connection, settings: Settings) {
    this.limits = settings.limits;
    this.requireHost = settings.requireHost;
    this.maxBodyBytes = settings.maxBodyBytes;
    this.idleTimeoutMs = settings.bodyTimeoutMs;
    this.#conn = conn;
  }

  onFirstByte(): void {
    this.#conn.phase = "headers";
  }
}

/**
 * A connection's keep-alive loop, as a thread body stepped by its signals:
 * exchanges one after another, the idle wait between them. A generator
 * would make a result object at every resume and keep its frame and
 * register file on every idle connection; this waits for the next request
 * in no frame (see `internal/connection_slots.ts`), and an exchange that
 * must wait (bytes, a Promise, the client) runs in a generator of its own,
 * stepped from here until it ends. The exchange's steps are its methods,
 * which take what is the connection's (the app, settings, reading options,
 * deadline and response context) from it, not as arguments.
 */
class ServeLoop extends Stepper {
  readonly #conn: Connection;
  readonly #app: HttpApp;
  readonly #settings: Settings;
  /** The connection's own: its kept head (`_repeated_head.ts`) is never another's. */
  readonly #reading: Reading;
  /** One for the connection's life: an exchange's response is written before the next one starts. */
  readonly #context: RequestContext;
  /** Made at the first step, in the thread (it takes the thread's scheduler). */
  #deadline: RequestDeadline | null = null;
  /** What is left of the running exchange, when it had to wait. */
  #rest: AwayCall<Ended> | null = null;
  #state: "new" | "serving" | "idle" | "parked" | "done" = "new";
  /** The running head's deadline is set already (from the connection's start). */
  #headTimed = false;

  constructor(conn: Connection, app: HttpApp, settings: Settings) {
    super();
    this.#conn = conn;
    this.#app = app;
    this.#settings = settings;
    this.#reading = new Reading(conn, settings);
    this.#context = {
      method: "GET",
      version: "1.1",
      keepAlive: true,
      keepAliveTimeout: settings.keepAliveAdvertised,
      writeTimeoutMs: settings.writeTimeoutMs,
    };
  }

  next(signal: Signal): IteratorResult<ThreadYield, void> {
    try {
      return this.#step(this.#rest === null ? null : this.#rest.next(signal));
    } catch (error) {
      return this.#failed(error);
    }
  }

  throw(error: unknown): IteratorResult<ThreadYield, void> {
    try {
      if (this.#rest !== null) return this.#step(this.#rest.throw(error));
      if (this.#state === "parked") this.#conn[UNPARK]();
      return this.#idleFailed(error);
    } catch (thrown) {
      return this.#failed(thrown);
    }
  }

  return(value?: unknown): IteratorResult<ThreadYield, void> {
    try {
      const rest = this.#rest;
      if (rest !== null) {
        // A `finally` of the exchange may still wait (`yield`): it is not over yet.
        const step = rest.return(value as Ended);
        if (!step.done) return step;
      }
      if (this.#state === "parked") this.#conn[UNPARK]();
    } catch (error) {
      return this.#failed(error);
    }
    this.#end();
    return DONE;
  }

  /**
   * Runs the loop from where it stopped (`step`: how the exchange that
   * waited went on) to its next wait, or to its end.
   */
  #step(step: IteratorResult<ThreadYield, Ended> | null): IteratorResult<ThreadYield, void> {
    const conn = this.#conn;
    const settings = this.#settings;
    if (step !== null) {
      if (!step.done) return step;
      this.#rest = null;
      if (!this.#served(step.value)) return this.#end();
    } else {
      switch (this.#state) {
        case "done":
          return DONE;
        case "new":
          if (settings.shutdown?.aborted) {
            conn.close("server shutting down");
            return this.#end();
          }
          if (settings.requestTimeoutMs > 0) {
            this.#deadline = new RequestDeadline(
              conn,
              settings.requestDeadlines.of(getCurrentScheduler()),
            );
          }
          if (conn.bufferedInput === 0) {
            // No byte yet (no negotiateHandler read ahead): the first wait is the idle one, in no
            // generator frame, and the head is due `headersTimeoutMs` from now, not from its first byte.
            this.#state = "idle";
            conn.phase = "waiting";
            conn.setDeadline(settings.headersTimeoutMs, "headers");
            this.#headTimed = true;
          } else {
            this.#state = "serving";
          }
          break;
        case "parked":
          conn[UNPARK]();
          this.#state = "idle";
      }
    }
    for (;;) {
      if (this.#state === "idle") {
        let chunk: Uint8Array | null | undefined;
        try {
          chunk = conn.readNow();
        } catch (error) {
          return this.#idleFailed(error);
        }
        if (chunk === undefined) {
          conn[PARK_INPUT]();
          this.#state = "parked";
          return PARKED;
        }
        if (chunk === null) {
          conn.close("client closed");
          return this.#end();
        }
        // The first bytes of the next request, left to be read.
        conn.unread(chunk);
        this.#state = "serving";
      }
      const rest = this.#exchange();
      let ended: Ended;
      if (waits(rest)) {
        const first = rest.next();
        if (!first.done) {
          this.#rest = rest;
          return first;
        }
        ended = first.value;
      } else {
        ended = rest;
      }
      if (!this.#served(ended)) return this.#end();
    }
  }

  /** An exchange ended: whether another may follow (then waited for, if none is buffered). */
  #served(ended: Ended): boolean {
    if (!ended) return false;
    const conn = this.#conn;
    const settings = this.#settings;
    if (settings.shutdown?.aborted) {
      conn.close("server shutting down");
      return false;
    }
    if (conn.bufferedInput === 0) {
      this.#state = "idle";
      conn.phase = "idle";
      conn.setDeadline(settings.keepAliveTimeoutMs, "keep-alive");
    }
    return true;
  }

  /** The wait for a next request failed: no request came in time, or the connection went. */
  #idleFailed(error: unknown): IteratorReturnResult<undefined> {
    if (error instanceof DeadlineError) closeIdle(this.#conn);
    else if (!(error instanceof ConnectionClosedError)) throw error;
    return this.#end();
  }

  /** The loop failed: it ends, and the error goes on up (the core aborts the connection). */
  #failed(error: unknown): never {
    this.#end();
    throw error;
  }

  #end(): IteratorReturnResult<undefined> {
    this.#state = "done";
    this.#rest = null;
    this.#deadline?.dispose();
    this.#deadline = null;
    return DONE;
  }

  /**
   * Reads one request and serves it, with no generator where nothing waits:
   * a head whole in the input, an app that answers at once, a response queued
   * under the high-water mark (the common case). See {@linkcode Rest}.
   */
  #exchange(): Rest {
    const conn = this.#conn;
    conn.phase = "waiting";
    const headTimed = this.#headTimed;
    this.#headTimed = false;
    let request: Incoming | null | undefined;
    try {
      request = requestNow(conn, this.#reading);
    } catch (error) {
      // Its error response is timed as the head was.
      conn.setDeadline(this.#settings.headersTimeoutMs, "headers");
      return headFailed(conn, error);
    }
    if (request !== undefined) return this.#serve(request);
    // The head is not all there: the client has `headersTimeoutMs` for it (a head read whole at
    // once needs no deadline; the one in force, if any, is cleared with the head read).
    if (!headTimed) conn.setDeadline(this.#settings.headersTimeoutMs, "headers");
    return this.#waited();
  }

  /** `#exchange` for a head not all there yet: waits for it, then serves it. */
  *#waited(): AwayCall<Ended> {
    let request: Incoming | null;
    try {
      // The engine's own reading: its requests are `Incoming`s.
      request = (yield* waitForRequest(this.#conn, this.#reading)) as Incoming | null;
    } catch (error) {
      const failed = headFailed(this.#conn, error);
      return waits(failed) ? yield* failed : failed;
    }
    const rest = this.#serve(request);
    return waits(rest) ? yield* rest : rest;
  }

  /** Serves a request whose head is read (`null`: the client closed cleanly instead). */
  #serve(request: Incoming | null): Rest {
    const conn = this.#conn;
    if (request === null) return conn.close("client closed");
    // Closed while its bytes were read (a server shutting down closes connections that wait for a
    // request): nothing could answer it, so the app must not take it; the client sees a close.
    if (!conn.isAlive()) return;
    conn.clearDeadline();
    const { head } = request;
    const methods = this.#settings.methods;
    if (!methods.has(head.method)) {
      // A method HTTP defines but this server does not serve is 405 (with Allow); an unknown one is 501.
      return isStandardMethod(head.method)
        ? fail(conn, 405, `method ${head.method} not allowed`, head.method, [[
          "allow",
          [...methods].join(", "),
        ]])
        : fail(conn, 501, `method ${head.method} not implemented`);
    }
    if (!head.keepAlive) conn.keepAlive = false;
    const context = this.#context;
    context.method = head.method;
    context.version = head.version;
    context.keepAlive = head.keepAlive;
    const mark = conn.bytesWritten + conn.bufferedAmount;
    conn.phase = "handling";
    // Until the response is out, the client's end of input means it left.
    conn.watchPeerEnd(true);
    const deadline = this.#deadline;
    deadline?.start(mark);
    let result: HttpAppResult;
    try {
      result = this.#app(request, conn);
    } catch (error) {
      deadline?.stop();
      return this.#answerFailed(request, undefined, mark, error);
    }
    if (!isResponse(result)) {
      deadline?.awaited();
      return this.#answerLater(request, mark, result);
    }
    deadline?.stop();
    return this.#answer(request, mark, result);
  }

  /** `#answer` once an app that answers by Promise or as a thread has answered. */
  *#answerLater(request: Incoming, mark: number, result: HttpAppResult): AwayCall<Ended> {
    let response: HttpResponse | void;
    try {
      try {
        // Waited for here, with no generator of its own in between (`isResponse` said which):
        // the Promise yielded as `wait` would, without `wait`'s generator and its steps.
        if (typeof (result as PromiseLike<unknown>).then === "function") {
          const settled = (yield result as PromiseLike<HttpResponse | void>) as SettledSignal;
          if (!settled.ok) throw settled.error;
          response = settled.value as HttpResponse | void;
        } else if (typeof (result as Generator).throw === "function") {
          response = yield* result as Generator<ThreadYield, HttpResponse | void, Signal>;
        } else {
          response = result as HttpResponse; // an object with a `next` of its own
        }
      } finally {
        this.#deadline?.stop();
      }
    } catch (error) {
      const failed = this.#answerFailed(request, undefined, mark, error);
      return waits(failed) ? yield* failed : failed;
    }
    const rest = this.#answer(request, mark, response);
    return waits(rest) ? yield* rest : rest;
  }

  /**
   * Sends the app's response (or checks that the app wrote one), unless the
   * request's body broke its framing; then what follows the exchange.
   */
  #answer(request: Incoming, mark: number, response: HttpResponse | void): Rest {
    const conn = this.#conn;
    try {
      // Body bytes that came with the head are decoded now, so a framing error among them
      // is answered (400 and a close) instead of the app's response.
      const body = request[MADE_BODY]; // none: the request has no body, and the app read none
      if (response !== undefined && body !== null && !body.finished) body[PREFETCH]();
      // A body that broke its framing (bad chunk, limit, deadline) ends the exchange,
      // whatever the app made of it: what follows on the connection cannot be trusted.
      if (body !== null && body.failure !== null) throw body.failure;
      // The body deadline may still be armed: a response, however long it streams, is not timed.
      conn.clearDeadline();
      conn.phase = "responding";
      // A response never promises keep-alive on a connection about to close: not while the server
      // shuts down, nor when the unread rest of the body is known to be too large to drain.
      const settings = this.#settings;
      const context = this.#context;
      context.keepAlive = conn.keepAlive && !settings.shutdown?.aborted &&
        (body === null || body.drainable(settings.maxDrainBytes));
      if (response !== undefined) {
        // Not kept alive nor upgraded, the connection closes next (`#afterAnswer`): once it is out.
        const rest = respondNow(conn, response, context, response.upgrade === undefined);
        if (rest !== null) return this.#respondLater(request, mark, response, rest);
        if (response.onWritten !== undefined) conn.whenWritten(response.onWritten);
      } else if (conn.bytesWritten + conn.bufferedAmount === mark) {
        throw new TypeError("the app returned no response");
      }
      conn.watchPeerEnd(false);
    } catch (error) {
      return this.#answerFailed(request, response, mark, error);
    }
    return this.#afterAnswer(request, response);
  }

  /** `#answer` for a response that waits for the client (or streams). */
  *#respondLater(
    request: Incoming,
    mark: number,
    response: HttpResponse,
    rest: AwayCall<void>,
  ): AwayCall<Ended> {
    const conn = this.#conn;
    try {
      yield* rest;
      if (response.onWritten !== undefined) conn.whenWritten(response.onWritten);
      conn.watchPeerEnd(false);
    } catch (error) {
      const failed = this.#answerFailed(request, response, mark, error);
      return waits(failed) ? yield* failed : failed;
    }
    const after = this.#afterAnswer(request, response);
    return waits(after) ? yield* after : after;
  }

  /**
   * The app or its response failed: the client gets an error status if
   * nothing of a response went out, else the connection is aborted.
   */
  #answerFailed(
    request: Incoming,
    response: HttpResponse | void,
    mark: number,
    error: unknown,
  ): Rest {
    const conn = this.#conn;
    conn.watchPeerEnd(false);
    if (response !== undefined) response.onWritten?.(error);
    if (error instanceof ConnectionClosedError) return;
    const sent = conn.bytesWritten + conn.bufferedAmount > mark;
    if (sent || !conn.isAlive()) return conn.abort(`response failed: ${describe(error)}`);
    const { method } = request.head;
    if (error instanceof HttpError) return fail(conn, error.status, error.message, method);
    if (error instanceof DeadlineError) {
      return fail(conn, 408, "request body not received in time", method);
    }
    const settings = this.#settings;
    settings.onError(error, request);
    return fail(
      conn,
      500,
      settings.debug ? `internal server error: ${describe(error)}` : "internal server error",
      method,
    );
  }

  /** After the response: an upgrade, a close, or the connection kept for the next request. */
  #afterAnswer(request: Incoming, response: HttpResponse | void): Rest {
    const conn = this.#conn;
    if (response?.upgrade !== undefined && response.status === 101) {
      return runUpgrade(conn, response.upgrade, this.#settings.shutdown);
    }
    const body = request[MADE_BODY];
    if (!conn.keepAlive || !conn.isAlive()) {
      // The client asked to close and was read whole: no lingering close (RFC 9112 §9.6).
      if (!request.head.keepAlive && (body === null || body.finished)) conn.finishInput();
      return conn.close("not kept alive");
    }
    return body === null || body.finished ? true : this.#drain(body);
  }

  /** The next request starts where this body ends: discards a small unread rest, or closes. */
  *#drain(body: BodyReader): AwayCall<Ended> {
    const conn = this.#conn;
    const { maxDrainBytes, bodyTimeoutMs } = this.#settings;
    conn.phase = "draining";
    conn.setDeadline(bodyTimeoutMs, "drain");
    try {
      if (!(yield* body.discard(maxDrainBytes))) return conn.close("unread request body");
    } catch {
      return conn.close("unread request body");
    }
    return true;
  }
}

/**
 * Closes a connection on which no request came in time, or aborts it if
 * the client has not taken the last response either: then nothing will.
 */
function closeIdle(conn: Connection): void {
  if (conn.bufferedAmount > 0) conn.abort("idle timeout with a response not taken");
  else conn.close("idle timeout");
}

/** How an exchange ended: `true` when the connection is kept for another; else it was closed (or handed to an upgrade). */
type Ended = boolean | void;

/**
 * What is left of an exchange: how it ended, or, where something has to wait
 * (bytes, a Promise, the client), the generator that runs the rest (`yield*` it).
 */
type Rest = Ended | AwayCall<Ended>;

/** Whether `rest` is a generator still to run. */
function waits(rest: Rest): rest is AwayCall<Ended> {
  return typeof rest === "object";
}

/** A head that could not be read: an error status and a close, or a close; others go on up. */
function headFailed(conn: Connection, error: unknown): Rest {
  if (error instanceof HttpError) return fail(conn, error.status, error.message);
  if (error instanceof DeadlineError) {
    // A request was under way: say why it is dropped; a connection that never sent one closes.
    if (conn.phase === "headers") return fail(conn, 408, "request head not received in time");
    return closeIdle(conn);
  }
  if (error instanceof ConnectionClosedError) return;
  throw error;
}

/** Whether the app's result is the response itself (or none), with nothing to wait for. */
function isResponse(result: HttpAppResult): result is HttpResponse | void {
  return result === undefined || result === null ||
    (typeof (result as PromiseLike<unknown>).then !== "function" &&
      typeof (result as Generator).next !== "function");
}

/** After a 101 the connection speaks another protocol: the hook owns it until it returns. */
function* runUpgrade(
  conn: Connection,
  upgrade: NonNullable<HttpResponse["upgrade"]>,
  shutdown: AbortSignal | undefined,
): AwayCall<void> {
  if (!conn.isAlive()) return;
  conn.phase = "upgraded";
  try {
    const result = upgrade(conn, { shutdown });
    if (typeof (result as PromiseLike<void>).then === "function") {
      yield* wait(result as PromiseLike<void>);
    } else {
      yield* result as AwayCall<void>;
    }
  } finally {
    conn.close("upgraded connection ended");
  }
}

/**
 * The `Keep-Alive: timeout=N` to advertise: a second less than the real idle
 * timeout, in whole seconds, so a request sent just before N seconds is
 * still in time when it arrives; none when that leaves less than a second.
 */
function advertisedKeepAlive(keepAliveTimeoutMs: number): number | undefined {
  const seconds = Math.floor((keepAliveTimeoutMs - 1000) / 1000);
  return seconds >= 1 ? seconds : undefined;
}

/**
 * The `requestTimeoutMs` of one handler's connections on one scheduler: a
 * queue in due order under one scheduler timer, armed for the earliest. All
 * have the same length and start in time order, so a deadline joins at the
 * tail. A timer per connection cost each exchange whose app answers later
 * (every `serve()` handler's Promise) a timer object, a closure, and a push
 * and a pop in the scheduler's heap. An early timer (its deadline left)
 * re-arms for the next.
 */
class RequestDeadlines {
  readonly scheduler: Scheduler;
  readonly ms: number;
  #head: RequestDeadline | null = null;
  #tail: RequestDeadline | null = null;
  readonly #timer: EarliestTimer;
  /** Connections that may queue a deadline: while any is open, an idle timer is left to fire. */
  #open = 0;

  constructor(scheduler: Scheduler, ms: number) {
    this.scheduler = scheduler;
    this.ms = ms;
    this.#timer = new EarliestTimer(scheduler, this.#fire);
  }

  /** A connection's deadline is made. */
  opened(): void {
    this.#open++;
  }

  /** A connection's deadline is gone for good. */
  closed(deadline: RequestDeadline): void {
    this.#open--;
    this.remove(deadline);
    this.#idle();
  }

  /** Queues `deadline` by its `due`. */
  add(deadline: RequestDeadline): void {
    let before = this.#tail;
    // A later start never has an earlier due (the clock is read once per tick): no step back.
    while (before !== null && before.due > deadline.due) before = before.prev;
    deadline.prev = before;
    deadline.next = before === null ? this.#head : before.next;
    if (deadline.next === null) this.#tail = deadline;
    else deadline.next.prev = deadline;
    if (before === null) this.#head = deadline;
    else before.next = deadline;
    deadline.queued = true;
    if (deadline.due < this.#timer.due) this.#timer.arm(deadline.due);
  }

  /** Takes `deadline` out of the queue, if in it. */
  remove(deadline: RequestDeadline): void {
    if (!deadline.queued) return;
    deadline.queued = false;
    const { prev, next } = deadline;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    deadline.prev = deadline.next = null;
  }

  /**
   * Nothing left to time and no connection to time: the scheduler may go idle
   * (run() resolves). Between a kept-alive connection's exchanges the timer
   * stays, rather than one armed and cancelled per exchange; it fires early once.
   */
  #idle(): void {
    if (this.#head === null && this.#open === 0) this.#timer.clear();
  }

  #fire = (): void => {
    const now = this.scheduler.now();
    for (let head = this.#head; head !== null && head.due <= now; head = this.#head) {
      this.remove(head);
      head.expire();
    }
    if (this.#head !== null && this.#head.due < this.#timer.due) this.#timer.arm(this.#head.due);
  };
}

/** Each scheduler's {@linkcode RequestDeadlines} of one handler (the last one's at hand). */
class RequestDeadlinesByScheduler {
  readonly #ms: number;
  #last: RequestDeadlines | null = null;
  readonly #all = new WeakMap<Scheduler, RequestDeadlines>();

  constructor(ms: number) {
    this.#ms = ms;
  }

  of(scheduler: Scheduler): RequestDeadlines {
    const last = this.#last;
    if (last !== null && last.scheduler === scheduler) return last;
    let queue = this.#all.get(scheduler);
    if (queue === undefined) {
      this.#all.set(scheduler, queue = new RequestDeadlines(scheduler, this.#ms));
    }
    return this.#last = queue;
  }
}

/**
 * A connection's `requestTimeoutMs`: queued in its handler's
 * {@linkcode RequestDeadlines} when an app first answers later (one that
 * answers at once cannot overrun), out of it once the app answered.
 */
class RequestDeadline {
  readonly #queue: RequestDeadlines;
  readonly #conn: Connection;
  /** When the running exchange's app is out of time; Infinity between exchanges. */
  due = Infinity;
  /** Output written before the exchange's response (see `requestTimedOut`). */
  #mark = 0;
  /** Neighbours in the queue, while `queued`. */
  prev: RequestDeadline | null = null;
  next: RequestDeadline | null = null;
  queued = false;

  constructor(conn: Connection, queue: RequestDeadlines) {
    this.#conn = conn;
    this.#queue = queue;
    queue.opened();
  }

  /** The app starts on a request; `mark` is the output written before its response. */
  start(mark: number): void {
    this.#mark = mark;
    this.due = this.#queue.scheduler.now() + this.#queue.ms;
  }

  /** The app answers later: its deadline is timed. */
  awaited(): void {
    if (!this.queued) this.#queue.add(this);
  }

  /** The app answered (or failed): no deadline until the next `start`. */
  stop(): void {
    this.due = Infinity;
    this.#queue.remove(this);
  }

  /** The connection is done. */
  dispose(): void {
    this.due = Infinity;
    this.#queue.closed(this);
  }

  /** The queue's timer found the deadline passed. */
  expire(): void {
    this.due = Infinity;
    requestTimedOut(this.#conn, this.#mark);
  }
}

/**
 * The app did not answer within `requestTimeoutMs`: a 503 if nothing of a
 * response went out, else an abort. Runs from a timer while the connection's
 * thread is parked in the app; closing the connection is what ends that
 * thread (its I/O fails, or the core ends it after the grace period).
 */
function requestTimedOut(conn: Connection, mark: number): void {
  if (!conn.isAlive()) return;
  conn.keepAlive = false;
  if (conn.bytesWritten + conn.bufferedAmount > mark) {
    conn.abort("request timeout after a partial response");
    return;
  }
  conn.write(serializeResponse(
    { status: 503, headers: [["content-type", "text/plain; charset=utf-8"]] },
    "request handler timed out\n",
    { close: true },
  ));
  conn.close("request timeout");
}

/**
 * Answers with an error status and a short reason, then closes: nothing
 * after it is trusted. To a HEAD, the reason is only counted (RFC 9110 §9.3.2).
 */
function* fail(
  conn: Connection,
  status: number,
  reason: string,
  method = "GET",
  headers: [string, string][] = [],
): AwayCall<void> {
  if (!conn.isAlive()) return;
  conn.keepAlive = false;
  try {
    yield* respond(
      conn,
      {
        status,
        headers: [["content-type", "text/plain; charset=utf-8"], ...headers],
        body: `${reason}\n`,
      },
      { method, version: "1.1", keepAlive: false },
    );
  } catch {
    // The peer is gone; closing below is all that is left.
  }
  conn.close(reason);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

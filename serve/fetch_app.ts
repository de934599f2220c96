import type { Connection } from "../core/connection.ts";
import type { NetAddress } from "../core/transport.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import type { HttpApp } from "../httputil/server.ts";
import type { IncomingRequest } from "../httputil/wait_for_request.ts";
import type { BodyReader } from "../httputil/body.ts";
import { answer, buildRequest, errorResponder, requestHasBody } from "./_exchange.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";
import { ClientSignal } from "./_client_signal.ts";
import { requestUrl } from "../httputil/request_url.ts";
import { markUpgradable } from "../internal/upgrade.ts";
import type { FetchHandler, ServeHandlerInfo } from "./types.ts";

/** Options for {@linkcode fetchApp}. */
export interface FetchAppOptions {
  /** Turns a handler error into a response (default: log and 500). */
  onError?: (error: unknown) => Response | Promise<Response>;
  /** Where the default `onError` logs (`false`: nowhere). Default: the console. */
  logger?: Logger | false;
}

/**
 * Adapts a fetch handler to the HTTP engine: builds a Web `Request` (its
 * body a pull-based stream of the connection, its `signal` aborted only if
 * the client goes away before the response is complete), calls the
 * handler, and returns its `Response` for writing, with a `Content-Length`
 * when the body is complete at once and chunked encoding when it streams.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { httpHandler } from "@hussar/core/httputil";
 * import { fetchApp } from "@hussar/core/serve";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({ handler: httpHandler(fetchApp((req) => new Response(new URL(req.url).pathname))) });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET /path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
 * console.log((await client.readText()).endsWith("/path")); // true
 * await hussar.close();
 * ```
 */
export function fetchApp(handler: FetchHandler, options: FetchAppOptions = {}): HttpApp {
  const onError = errorResponder(options.onError, resolveLogger(options.logger));
  return function (incoming: IncomingRequest, conn: Connection): Promise<HttpResponse> {
    const { method, headers, framing } = incoming.head;
    const exchange = new Exchange(conn);
    const hasBody = requestHasBody(method, framing.kind !== "none");
    const request = buildRequest(
      requestUrl(incoming.head, conn.info),
      method,
      headers,
      hasBody ? requestBody(incoming.body) : null,
      exchange,
    );
    markUpgradable(request, incoming.head);
    const info = new Info(conn, exchange);
    const onWritten = (error?: unknown): void => exchange.written(error);
    // A Promise the engine's thread waits for once: no generator of ours in between.
    return answer(handler, request, info, onError, exchange, incoming.body, onWritten);
  };
}

/** A body this long at most that came whole with its head is handed over whole. */
const RECEIVED_MAX = 64 * 1024;
/**
 * Whether the runtime's `Request` takes bytes cheaper than a stream: Deno
 * and Bun keep them and read them back without a stream (per 1 KiB
 * `request.text()`: Deno 8.7 → 4.7 µs, Bun 3.8 → 0.9); Node makes a byte
 * stream of them, dearer than a plain one (5.3 → 7.3 µs).
 */
const BYTES_BODY = "Deno" in globalThis || "Bun" in globalThis;

/**
 * A request body for the `Request`: a small body that is already all here
 * is given whole (as bytes, or a stream of that one chunk on Node), with no
 * pulls back into the engine; any other streams from the connection as it
 * is read.
 */
function requestBody(body: BodyReader): ReadableStream<Uint8Array> | Uint8Array {
  const received = body.takeReceived(RECEIVED_MAX);
  if (received === undefined) return body.stream();
  if (BYTES_BODY) return received; // the runtime copies it
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(received);
      controller.close();
    },
  });
}

/**
 * A handler's `info`, whose `completed` (a getter on the prototype: an
 * object literal with a getter costs V8 a slow path each time) is made on
 * first read.
 */
class Info implements ServeHandlerInfo {
  readonly remoteAddr: NetAddress;
  readonly localAddr: NetAddress;
  readonly #exchange: Exchange;

  constructor(conn: Connection, exchange: Exchange) {
    this.remoteAddr = conn.info.remoteAddr;
    this.localAddr = conn.info.localAddr;
    this.#exchange = exchange;
  }

  get completed(): Promise<void> {
    return this.#exchange.completed();
  }
}

const WRITTEN = { error: undefined };

/**
 * One exchange as its handler sees it: `request.signal` aborts, and
 * `info.completed` rejects, if the connection closes before the response is
 * written. Neither is made, nor the connection watched, until the handler
 * (or a response stream that waits) asks: most never do.
 */
class Exchange extends ClientSignal {
  readonly #conn: Connection;
  /** How the response ended: {@linkcode WRITTEN}, a failure, or `null` while under way. */
  #outcome: { error: unknown } | null = null;
  #completed: Promise<void> | null = null;
  #settle: ((outcome: { error: unknown }) => void) | null = null;
  #onClose: (() => void) | null = null;

  constructor(conn: Connection) {
    super();
    this.#conn = conn;
  }

  /** `info.completed`, made on first use. */
  completed(): Promise<void> {
    if (this.#completed !== null) return this.#completed;
    const outcome = this.#outcome;
    if (outcome === WRITTEN) return (this.#completed = Promise.resolve());
    this.#completed = outcome !== null ? Promise.reject(outcome.error) : new Promise(
      (resolve, reject) => {
        this.#settle = ({ error }) => (error === undefined ? resolve() : reject(error));
      },
    );
    this.#completed.catch(() => {}); // a handler need not look at how it ends
    if (outcome === null) this.watch();
    return this.#completed;
  }

  /** The response was written (no argument) or could not be. */
  written(error?: unknown): void {
    if (this.#onClose !== null) this.#conn.offClose(this.#onClose);
    this.#end(error === undefined ? WRITTEN : { error });
  }

  /** Until the response is complete, a connection that dies means the client went away. */
  protected override watch(): void {
    if (this.#onClose !== null || this.#outcome === WRITTEN) return;
    this.#onClose = () => {
      this.abort(new DOMException("the client closed the connection", "AbortError"));
      this.#end({ error: new Error(`response not completed: ${this.#conn.closeReason}`) });
    };
    this.#conn.onClose(this.#onClose);
  }

  #end(outcome: { error: unknown }): void {
    if (this.#outcome !== null) return;
    this.#outcome = outcome;
    this.#settle?.(outcome);
  }
}

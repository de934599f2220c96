import type { Connection } from "../core/connection.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import type { HttpApp } from "../httputil/server.ts";
import type { IncomingRequest } from "../httputil/wait_for_request.ts";
import type { BodyReader } from "../httputil/body.ts";
import {
  answer,
  type AnswerWait,
  awaitAnswer,
  buildRequest,
  copyRequest,
  errorResponder,
  requestHasBody,
  templateRequest,
} from "./_exchange.ts";
import { headTemplate } from "./_head_template.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";
import { Completion, Info } from "./_completion.ts";
import { requestUrl } from "../httputil/request_url.ts";
import { markUpgradable } from "../internal/upgrade.ts";
import { fieldValue } from "../internal/header_fill.ts";
import type { FetchHandler } from "./types.ts";

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
  return function (
    incoming: IncomingRequest,
    conn: Connection,
  ): HttpResponse | Promise<HttpResponse> | AnswerWait {
    const head = incoming.head;
    const { method, headers, framing } = head;
    const exchange = new Exchange(conn);
    const hasBody = requestHasBody(method, framing.kind !== "none");
    // A GET whose head repeats the connection's last one: a copy of its template (Bun).
    const template = method === "GET" ? headTemplate(head, conn.info, templateRequest) : null;
    let request: Request;
    if (template !== null) {
      request = copyRequest(template.request, exchange);
      markUpgradable(request, head.version, template.upgrade);
    } else {
      request = buildRequest(
        requestUrl(head, conn.info),
        method,
        headers,
        hasBody ? requestBody(incoming.body) : null,
        exchange,
      );
      markUpgradable(request, head.version, fieldValue(headers, "upgrade") !== null);
    }
    const info = new Info(conn.info, exchange);
    const onWritten = (error?: unknown): void => exchange.written(error);
    // The parts at once, or a generator the engine's thread runs to wait for the handler's Promise.
    // A request without a body gets no body reader made for it (`incoming.body` would make one).
    const body = hasBody ? incoming.body : NO_BODY;
    return answer(handler, request, info, onError, exchange, body, onWritten, awaitAnswer);
  };
}

/** The body state of a request without a body: it cannot fail. */
const NO_BODY = { failure: null };

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
 * One HTTP/1.1 exchange as its handler sees it: `request.signal` aborts,
 * and `info.completed` rejects, if the connection closes before the
 * response is written; the connection is watched only once one is asked for.
 */
class Exchange extends Completion {
  readonly #conn: Connection;
  #onClose: (() => void) | null = null;

  constructor(conn: Connection) {
    super();
    this.#conn = conn;
  }

  override written(error?: unknown): void {
    if (this.#onClose !== null) this.#conn.offClose(this.#onClose);
    super.written(error);
  }

  /** Until the response is complete, a connection that dies means the client went away. */
  protected override watch(): void {
    if (this.#onClose !== null || this.isWritten) return;
    this.#onClose = () => {
      this.clientLeft(
        new DOMException("the client closed the connection", "AbortError"),
        new Error(`response not completed: ${this.#conn.closeReason}`),
      );
    };
    this.#conn.onClose(this.#onClose);
  }
}

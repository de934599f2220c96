import type { Connection } from "../core/connection.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import type { HttpApp } from "../httputil/server.ts";
import type { IncomingRequest } from "../httputil/wait_for_request.ts";
import { type AwayCall, wait } from "../scheduler/mod.ts";
import { answer, buildRequest, errorResponder, requestHasBody } from "./_exchange.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";
import { ClientSignal } from "./_client_signal.ts";
import { requestUrl } from "../httputil/request_url.ts";
import { markUpgradable } from "../internal/upgrade.ts";
import { upgradeResponse } from "./_upgrade.ts";
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
  return function* (incoming: IncomingRequest, conn: Connection): AwayCall<HttpResponse> {
    const { method, headers, framing } = incoming.head;
    const client = new ClientSignal();
    let settleCompleted!: (error?: unknown) => void;
    const completed = new Promise<void>((resolve, reject) => {
      settleCompleted = (error) => (error === undefined ? resolve() : reject(error));
    });
    completed.catch(() => {}); // a handler need not look at it
    // Until the response is complete, a connection that dies means the client went away.
    const onClose = (): void => {
      client.abort(new DOMException("the client closed the connection", "AbortError"));
      settleCompleted(new Error(`response not completed: ${conn.closeReason}`));
    };
    conn.onClose(onClose);
    const hasBody = requestHasBody(method, framing.kind !== "none");
    const request = buildRequest(
      requestUrl(incoming.head, conn.info),
      method,
      headers,
      hasBody ? incoming.body.stream() : null,
      client,
    );
    markUpgradable(request, incoming.head);
    const info: ServeHandlerInfo = {
      remoteAddr: conn.info.remoteAddr,
      localAddr: conn.info.localAddr,
      completed,
    };
    const { upgrade, parts } = yield* wait(
      answer(handler, request, info, onError, client, incoming.body),
    );
    const onWritten = (error?: unknown): void => {
      conn.offClose(onClose);
      settleCompleted(error);
    };
    return upgrade !== null ? upgradeResponse(upgrade, onWritten) : { ...parts, onWritten };
  };
}

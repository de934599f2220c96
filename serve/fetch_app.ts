import type { Connection } from "../core/connection.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import type { HttpApp } from "../httputil/server.ts";
import type { IncomingRequest } from "../httputil/wait_for_request.ts";
import { type AwayCall, wait } from "../scheduler/mod.ts";
import { answer, buildRequest, defaultOnError, requestHasBody } from "./_exchange.ts";
import { ClientSignal } from "./_client_signal.ts";
import { requestUrl } from "./_request_url.ts";
import { markUpgradable, upgradeResponse } from "./_upgrade.ts";
import type { FetchHandler, ServeHandlerInfo } from "./types.ts";

/**
 * One close watcher per connection, pointing at the request in progress:
 * a watcher per request would pile up on a long keep-alive connection.
 */
const closeWatchers = new WeakMap<Connection, { current: (() => void) | null }>();

function watchClose(conn: Connection, onClose: () => void): void {
  let watcher = closeWatchers.get(conn);
  if (watcher === undefined) {
    const created = { current: null as (() => void) | null };
    closeWatchers.set(conn, created);
    conn.closed.then(() => created.current?.());
    watcher = created;
  }
  watcher.current = onClose;
}

function unwatchClose(conn: Connection, onClose: () => void): void {
  const watcher = closeWatchers.get(conn);
  if (watcher?.current === onClose) watcher.current = null;
}

/** Options for {@linkcode fetchApp}. */
export interface FetchAppOptions {
  /** Turns a handler error into a response (default: log and 500). */
  onError?: (error: unknown) => Response | Promise<Response>;
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
 * import { FakeSource, fetchApp, httpHandler, Hussar } from "@hussar/core";
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
  const onError = options.onError ?? defaultOnError;
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
    watchClose(conn, onClose);
    const hasBody = requestHasBody(method, framing.kind !== "none");
    const request = buildRequest(
      requestUrl(incoming.head, conn.info),
      method,
      headers,
      hasBody ? incoming.body.stream() : null,
      client,
    );
    markUpgradable(request, incoming.head);
    // Watch the socket while the handler runs, so a reset aborts `request.signal`.
    if (!hasBody) conn.requireWakeback();
    const info: ServeHandlerInfo = {
      remoteAddr: conn.info.remoteAddr,
      localAddr: conn.info.localAddr,
      completed,
    };
    const { upgrade, parts } = yield* wait(
      answer(handler, request, info, onError, client),
    );
    const onWritten = (error?: unknown): void => {
      unwatchClose(conn, onClose);
      settleCompleted(error);
    };
    return upgrade !== null ? upgradeResponse(upgrade, onWritten) : { ...parts, onWritten };
  };
}

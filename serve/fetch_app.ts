import type { Connection } from "../core/connection.ts";
import { HttpError } from "../httputil/errors.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import type { HttpApp } from "../httputil/server.ts";
import type { IncomingRequest } from "../httputil/wait_for_request.ts";
import { isNullBodyStatus } from "../httputil/status.ts";
import { type AwayCall, wait } from "../scheduler/mod.ts";
import { resolveBody } from "./_response_body.ts";
import type { FetchHandler, ServeHandlerInfo } from "./types.ts";

const METHODS_WITHOUT_BODY = new Set(["GET", "HEAD"]);

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

function defaultOnError(error: unknown): Response {
  console.error("hussar: fetch handler failed:", error);
  return new Response("Internal Server Error", {
    status: 500,
    headers: { "content-type": "text/plain" },
  });
}

function requestUrl(request: IncomingRequest, conn: Connection): string {
  const { target, headers } = request.head;
  const scheme = conn.info.tls ? "https" : "http";
  // Absolute-form wins over Host (RFC 9112 §3.2.2); HTTP/1.0 may lack a Host.
  if (target[0] !== "/" && /^https?:\/\//i.test(target)) return target;
  const local = conn.info.localAddr;
  const host = headers.get("host") ??
    (local.transport === "tcp"
      ? `${local.hostname.includes(":") ? `[${local.hostname}]` : local.hostname}:${local.port}`
      : "localhost");
  if (target === "*") return `${scheme}://${host}/*`;
  if (target[0] !== "/") return `${scheme}://${target}/`; // authority-form (CONNECT)
  return `${scheme}://${host}${target}`;
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
    const { method, headers } = incoming.head;
    const controller = new AbortController();
    let settleCompleted!: (error?: unknown) => void;
    const completed = new Promise<void>((resolve, reject) => {
      settleCompleted = (error) => (error === undefined ? resolve() : reject(error));
    });
    completed.catch(() => {}); // a handler need not look at it
    // Until the response is complete, a connection that dies means the client went away.
    const onClose = (): void => {
      controller.abort(new DOMException("the client closed the connection", "AbortError"));
      settleCompleted(new Error(`response not completed: ${conn.closeReason}`));
    };
    watchClose(conn, onClose);
    const hasBody = incoming.head.framing.kind !== "none" && !METHODS_WITHOUT_BODY.has(method);
    let request: Request;
    try {
      request = new Request(requestUrl(incoming, conn), {
        method,
        headers: [...headers],
        body: hasBody ? incoming.body.stream() : null,
        signal: controller.signal,
        // Node's fetch requires it for a streamed body.
        duplex: "half",
      } as RequestInit);
    } catch (error) {
      throw new HttpError(
        400,
        `invalid request: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // Watch the socket while the handler runs, so a reset aborts `request.signal`.
    if (!hasBody) conn.requireWakeback();
    const info: ServeHandlerInfo = {
      remoteAddr: conn.info.remoteAddr,
      localAddr: conn.info.localAddr,
      completed,
    };
    let response: unknown;
    try {
      response = yield* wait(Promise.resolve().then(() => handler(request, info)));
      if (!(response instanceof Response)) {
        throw new TypeError(
          `the fetch handler must return a Response, not ${
            Object.prototype.toString.call(response)
          }`,
        );
      }
    } catch (error) {
      if (controller.signal.aborted) throw error; // nobody is left to answer
      response = yield* wait(Promise.resolve().then(() => onError(error)).catch(defaultOnError));
    }
    const res = response as Response;
    // Headers first: Bun fills in a body's Content-Type lazily, and loses it once the body is taken.
    const responseHeaders = res.headers;
    let body;
    if (method === "HEAD" || isNullBodyStatus(res.status)) {
      // No body goes out: release the producer (an endless stream would otherwise hang).
      res.body?.cancel().catch(() => {});
      body = null;
    } else {
      body = yield* resolveBody(res.body);
    }
    return {
      status: res.status,
      statusText: res.statusText || undefined,
      headers: responseHeaders,
      body,
      onWritten: (error?: unknown) => {
        unwatchClose(conn, onClose);
        settleCompleted(error);
      },
    };
  };
}

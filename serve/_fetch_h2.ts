/**
 * The fetch handler on an HTTP/2 stream: the per-exchange steps of
 * `fetchApp` (a `Request` in, a `Response` out, `request.signal`, `info`)
 * on the stream the session gives, whose reset aborts the signal.
 *
 * @module
 */
import type { Http2App, Http2Exchange } from "../http2/session.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import { requestUrl } from "../httputil/request_url.ts";
import { answer, buildRequest, type ErrorResponder, requestHasBody } from "./_exchange.ts";
import { Completion, Info } from "./_completion.ts";
import type { FetchHandler } from "./types.ts";

const NO_BODY = { failure: null };

/**
 * An {@linkcode Http2App} serving `handler`, its errors answered by
 * `onError`: a Promise the session writes once it settles (no thread, nor
 * generator, per stream unless the response must wait for windows).
 */
export function fetchHttp2App(handler: FetchHandler, onError: ErrorResponder): Http2App {
  return function (stream: Http2Exchange): HttpResponse | Promise<HttpResponse> {
    const { head, body, info: conn } = stream;
    const exchange = new StreamExchange(stream);
    const request = buildRequest(
      requestUrl(head, conn),
      head.method,
      head.headers,
      body !== null && requestHasBody(head.method, true) ? body.stream() : null,
      exchange,
    );
    const info = new Info(conn, exchange);
    const onWritten = (error?: unknown): void => exchange.written(error);
    // No upgrade can be pending: only the HTTP/1.1 engine marks a request upgradable.
    return answer(handler, request, info, onError, exchange, body ?? NO_BODY, onWritten);
  };
}

/**
 * One stream as its handler sees it: `request.signal` aborts, and
 * `info.completed` rejects, if the stream ends before its response is
 * complete; the stream is watched only once one is asked for.
 */
class StreamExchange extends Completion {
  readonly #stream: Http2Exchange;
  #watching = false;

  constructor(stream: Http2Exchange) {
    super();
    this.#stream = stream;
  }

  protected override watch(): void {
    if (this.#watching || this.isWritten) return;
    this.#watching = true;
    this.#stream.onAbort((reason) =>
      this.clientLeft(
        new DOMException(`the stream ended: ${reason}`, "AbortError"),
        new Error(`response not completed: ${reason}`),
      )
    );
  }
}

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
import { type AwayCall, wait } from "../scheduler/mod.ts";
import { answer, buildRequest, type ErrorResponder, requestHasBody } from "./_exchange.ts";
import { ClientSignal } from "./_client_signal.ts";
import type { FetchHandler, ServeHandlerInfo } from "./types.ts";

const NO_BODY = { failure: null };

/** An {@linkcode Http2App} serving `handler`, its errors answered by `onError`. */
export function fetchHttp2App(handler: FetchHandler, onError: ErrorResponder): Http2App {
  return function* (exchange: Http2Exchange): AwayCall<HttpResponse> {
    const { head, body, info: conn } = exchange;
    const client = new ClientSignal();
    let settleCompleted!: (error?: unknown) => void;
    const completed = new Promise<void>((resolve, reject) => {
      settleCompleted = (error) => (error === undefined ? resolve() : reject(error));
    });
    completed.catch(() => {}); // a handler need not look at it
    // Until the response is complete, a stream that ends means the client went away.
    exchange.onAbort((reason) => {
      client.abort(new DOMException(`the stream ended: ${reason}`, "AbortError"));
      settleCompleted(new Error(`response not completed: ${reason}`));
    });
    const request = buildRequest(
      requestUrl(head, conn),
      head.method,
      head.headers,
      body !== null && requestHasBody(head.method, true) ? body.stream() : null,
      client,
    );
    const info: ServeHandlerInfo = {
      remoteAddr: conn.remoteAddr,
      localAddr: conn.localAddr,
      completed,
    };
    const { parts } = yield* wait(answer(handler, request, info, onError, client, body ?? NO_BODY));
    if (parts === null) throw new TypeError("a protocol upgrade is not possible over HTTP/2");
    return { ...parts, onWritten: settleCompleted };
  };
}

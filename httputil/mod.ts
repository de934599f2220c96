/**
 * httputil: strict, incremental HTTP/1.1 for hussar connections. Parse
 * request heads and bodies, serialise responses, and run the keep-alive
 * loop with limits and deadlines ({@linkcode httpHandler}).
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { httpHandler } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "hi" })) });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
 * console.log((await client.readText()).split("\r\n")[0]); // HTTP/1.1 200 OK
 * await hussar.close();
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./headers.ts";
export * from "./limits.ts";
export * from "./parse.ts";
export * from "./chunked.ts";
export { code2status, isNullBodyStatus, status2code } from "./status.ts";
export * from "./methods.ts";
export * from "./date.ts";
export * from "./serialize.ts";
export * from "./body.ts";
export {
  type IncomingRequest,
  waitForHeaders,
  type WaitForHeadersOptions,
  waitForRequest,
  type WaitForRequestOptions,
} from "./wait_for_request.ts";
// requestNow and respondNow are the engine's own fast paths, not part of the API.
export {
  type HttpResponse,
  type RequestContext,
  respond,
  respondOn,
  type ResponseBody,
  ResponseWriter,
} from "./respond.ts";
// resolveHttpLimits and logTo are shared with http2/, not part of the API.
export {
  DEFAULT_HTTP_OPTIONS,
  type HttpApp,
  type HttpAppResult,
  httpHandler,
  type HttpServerOptions,
} from "./server.ts";
export * from "./request_url.ts";
export * from "./drain.ts";

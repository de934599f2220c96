/**
 * hussar: an HTTP/1.1 server for Deno, Bun and Node that runs the same code
 * on each. This entry point has what a `serve()` user needs: `serve()` and
 * its server object, WebSocket upgrades, the helpers (static files, server-sent
 * events, compression, an access log) and the errors they throw.
 *
 * The layers under `serve()` have entry points of their own:
 * `@hussar/core/scheduler` (threads and signals), `@hussar/core/core`
 * (connections and descriptors), `@hussar/core/httputil` (the HTTP/1.1
 * engine), `@hussar/core/sources` (sockets), `@hussar/core/workers` (worker
 * mode), `@hussar/core/serve` (`fetchApp`, to put a fetch handler on a source
 * of your own).
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * const server = serve({ port: 0, onListen() {} }, (request) => new Response(`hello from ${request.url}`));
 * await server.ready;
 * console.log(await (await fetch(server.url)).text());
 * await server.shutdown();
 * ```
 *
 * @module
 */
export { HttpServer, serve } from "./serve/serve.ts";
export type {
  FetchHandler,
  Logger,
  ServeHandlerInfo,
  ServeOptions,
  TlsOptions,
} from "./serve/types.ts";
export type { NetAddress } from "./core/transport.ts";
export { ListenError, type ListenErrorOptions } from "./sources/errors.ts";
export { HttpError } from "./httputil/errors.ts";
export { DEFAULT_HTTP_OPTIONS } from "./httputil/server.ts";
export {
  DEFAULT_WEBSOCKET_OPTIONS,
  type PerMessageDeflateOptions,
  upgradeWebSocket,
  type UpgradeWebSocketOptions,
  type WebSocketUpgrade,
} from "./websocket/upgrade.ts";
export {
  UpgradedWebSocket,
  type WebSocketBinaryType,
  type WebSocketCloseEvent,
  type WebSocketData,
  type WebSocketEventHandler,
} from "./websocket/web_socket.ts";
export { WebSocketUpgradeError } from "./websocket/errors.ts";
export * from "./helpers/mod.ts";

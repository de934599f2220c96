/**
 * WebSocket (RFC 6455) for `serve()`: `upgradeWebSocket(request)` returns
 * a standard `WebSocket`-like socket and the 101 response to return, as in
 * Deno. Masking, fragmentation, ping/pong, close codes, size limits and
 * backpressure are handled, and permessage-deflate (RFC 7692) is
 * negotiated when the client offers it.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * import { upgradeWebSocket } from "@hussar/core/websocket";
 * const server = serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
 *   if (request.headers.get("upgrade") !== "websocket") return new Response("a page");
 *   const { socket, response } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * await server.ready;
 * console.log(await (await fetch(server.url)).text()); // a page
 * await server.shutdown();
 * ```
 *
 * @module
 */
export * from "./duplex.ts";
export * from "./errors.ts";
export * from "./upgrade.ts";
export * from "./web_socket.ts";

/**
 * hussar: an HTTP server core for Deno, Bun and Node, built on the away
 * by-signal coroutine scheduler.
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
export * from "./scheduler/mod.ts";
export * from "./core/mod.ts";
export * from "./httputil/mod.ts";
export * from "./sources/mod.ts";
export * from "./serve/mod.ts";
export * from "./helpers/mod.ts";
export * from "./websocket/mod.ts";
export * from "./workers/mod.ts";

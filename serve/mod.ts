/**
 * `serve()`: the fetch-style API (a Web `Request` in, a `Response` out) on
 * real sockets, with the same code on Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * const server = serve({ port: 0, onListen() {} }, () => new Response("hello"));
 * await server.ready;
 * console.log(await (await fetch(server.url)).text()); // hello
 * await server.shutdown();
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./fetch_app.ts";
export * from "./serve.ts";

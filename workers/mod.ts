/**
 * Worker mode, after Tarantool httpng: worker threads own the sockets and
 * do the HTTP/1.1 parsing and serialising; the handlers run on the main
 * thread, which sees each request as a {@linkcode Shuttle}. Most users want
 * `serve({ workers: N, fetch })` instead of these parts.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * const server = serve({ workers: 2, port: 0, hostname: "127.0.0.1", onListen() {} }, () => new Response("hi"));
 * await server.ready;
 * console.log(await (await fetch(server.url)).text()); // hi
 * await server.shutdown();
 * ```
 *
 * @module
 */
export * from "./shuttle.ts";
export * from "./worker_pool.ts";

/**
 * Small helpers over the Fetch API, each usable with any fetch handler
 * (hussar's `serve()`, `Deno.serve`, `Bun.serve`, Hono...): server-sent
 * events, static files, response compression and an access log.
 *
 * @example
 * ```ts
 * import { accessLog, compress, serveDir } from "@hussar/core/helpers";
 * import { serve } from "@hussar/core";
 * import { tmpdir } from "node:os";
 * const server = serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   accessLog(compress((request) => serveDir(request, { root: tmpdir() })), { write() {} }),
 * );
 * await server.ready;
 * console.log((await fetch(new URL("/.hidden", server.url))).status); // 404
 * await server.shutdown();
 * ```
 *
 * @module
 */
export * from "./sse.ts";
export * from "./file_server.ts";
export * from "./compress.ts";
export * from "./access_log.ts";

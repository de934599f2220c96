/**
 * hussar: an HTTP server core for Deno, Bun and Node, built on the away
 * by-signal coroutine scheduler.
 *
 * @example
 * ```ts
 * import { FakeSource, httpHandler, Hussar } from "@hussar/core";
 * const source = new FakeSource();
 * const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "hi" })) });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
 * console.log((await client.readText()).endsWith("hi")); // true
 * await hussar.close();
 * ```
 *
 * @module
 */
export * from "./scheduler/mod.ts";
export * from "./core/mod.ts";
export * from "./httputil/mod.ts";
export * from "./sources/mod.ts";

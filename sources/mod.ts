/**
 * Sources: where connections come from. {@linkcode listen} opens a real
 * listening socket with the API of the runtime it runs on (Deno, Bun or
 * Node); {@linkcode StreamSource} serves any pair of byte streams;
 * {@linkcode FakeSource} is the in-memory source for deterministic tests.
 *
 * @example
 * ```ts
 * import { FakeSource, listen } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const client = source.connect();
 * client.write("hello");
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.port > 0); // true
 * await listener.close();
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./fake.ts";
export * from "./listen.ts";
export * from "./streams.ts";
export * from "./deno.ts";
export * from "./bun.ts";
export * from "./node.ts";

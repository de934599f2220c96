/**
 * The hussar core: connections bound to threads, a managing thread that
 * wakes them and enforces deadlines, and the descriptors that track them.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     conn.write(new TextEncoder().encode("hi\n"));
 *     yield* conn.drain();
 *   },
 * });
 * hussar.attachSource(source);
 * console.log(await source.connect().readText()); // hi
 * await hussar.close();
 * ```
 *
 * @module
 */
export * from "./transport.ts";
export * from "./errors.ts";
export * from "./connection.ts";
export * from "./descriptor.ts";
export * from "./hussar.ts";
export * from "./shuttle.ts";

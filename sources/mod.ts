/**
 * Sources: where connections come from. For now the in-memory
 * {@linkcode FakeSource} for deterministic tests.
 *
 * @example
 * ```ts
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const client = source.connect();
 * client.write("hello");
 * ```
 *
 * @module
 */
export * from "./fake.ts";

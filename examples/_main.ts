/**
 * What the examples share: where to listen, and whether the module is the
 * program (Node 20 has no `import.meta.main`).
 *
 * @module
 */
import process from "node:process";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** Where an example server listens. */
export interface ExampleOptions {
  /** TCP port (default: `PORT` from the environment, else 8000; 0 picks a free one). */
  port?: number;
  /** Address (default: `HOST` from the environment, else 127.0.0.1). */
  hostname?: string;
}

/** The listening options for `serve()`, filled in from the environment. */
export function listenOptions(options: ExampleOptions): { port: number; hostname: string } {
  return {
    port: options.port ?? Number(process.env.PORT ?? 8000),
    hostname: options.hostname ?? process.env.HOST ?? "127.0.0.1",
  };
}

/** Whether the module with this `import.meta` is the program's entry point. */
export function isMain(meta: ImportMeta): boolean {
  const main = (meta as { main?: boolean }).main;
  if (main !== undefined) return main;
  const entry = process.argv[1];
  return entry !== undefined && meta.url === pathToFileURL(realpathSync(entry)).href;
}

#!/usr/bin/env node
/**
 * Serves a module whose default export is `{ fetch }` (or a fetch function):
 *
 * ```sh
 * deno run -A jsr:@hussar/core/cli app.ts       # or a path to cli.ts
 * bun node_modules/@hussar/core/esm/cli.js app.ts
 * npx hussar app.js                              # the npm build's bin
 * ```
 *
 * Options: `--port N` (default: the module's `port`, else 8000),
 * `--hostname H` (default: the module's `hostname`, else 0.0.0.0).
 *
 * @module
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { realpathSync } from "node:fs";
import type { NetAddress } from "./core/transport.ts";
import { type HttpServer, serve } from "./serve/serve.ts";
import type { FetchHandler } from "./serve/types.ts";

/** What the served module's default export may be. */
export type AppModule = FetchHandler | { fetch: FetchHandler; port?: number; hostname?: string };

/** The parsed command line. */
export interface CliArguments {
  /** The module to serve. */
  module: string;
  /** `--port`. */
  port?: number;
  /** `--hostname`. */
  hostname?: string;
}

/**
 * Parses `[--port N] [--hostname H] <module>`; throws a usage error for anything else.
 *
 * @example
 * ```ts
 * import { parseArguments } from "./cli.ts";
 * console.log(parseArguments(["app.ts", "--port", "3000"])); // { module: "app.ts", port: 3000 }
 * ```
 */
export function parseArguments(args: readonly string[]): CliArguments {
  const parsed: Partial<CliArguments> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith("--") ? arg.split("=", 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new TypeError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === "--port") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new TypeError(`invalid --port\n${USAGE}`);
      }
      parsed.port = port;
    } else if (flag === "--hostname") {
      parsed.hostname = value();
    } else if (flag.startsWith("-")) {
      throw new TypeError(`unknown option ${flag}\n${USAGE}`);
    } else if (parsed.module === undefined) {
      parsed.module = arg;
    } else {
      throw new TypeError(`one module only\n${USAGE}`);
    }
  }
  if (parsed.module === undefined) throw new TypeError(USAGE);
  return parsed as CliArguments;
}

const USAGE = "usage: hussar [--port N] [--hostname H] <module with a default export { fetch }>";

/**
 * Loads `args.module` and serves its default export; returns the running server.
 *
 * @example
 * ```ts
 * import { runCli } from "./cli.ts";
 * const module = `data:text/javascript,export default { fetch: () => new Response("from a module") }`;
 * const server = await runCli({ module, port: 0 });
 * console.log(await (await fetch(server.url)).text()); // from a module
 * await server.shutdown();
 * ```
 */
export async function runCli(
  args: CliArguments,
  onListen?: (addr: NetAddress) => void,
): Promise<HttpServer> {
  const specifier = /^[a-z][a-z0-9+.-]*:/i.test(args.module) && !/^[a-z]:[\\/]/i.test(args.module)
    ? args.module // already a URL (file:, data:, https:)
    : pathToFileURL(resolve(process.cwd(), args.module)).href;
  const loaded = await import(specifier);
  const app = loaded.default as AppModule | undefined;
  const handler = typeof app === "function" ? app : app?.fetch;
  if (typeof handler !== "function") {
    throw new TypeError(
      `${args.module} must export default { fetch(request) } or a fetch function`,
    );
  }
  const options: { port?: number; hostname?: string } = typeof app === "object" ? app : {};
  const server = serve({
    port: args.port ?? options.port ?? 8000,
    hostname: args.hostname ?? options.hostname,
    onListen,
  }, handler.bind(app));
  await server.ready;
  return server;
}

/** Whether this module is the program's entry point (Node has no `import.meta.main`; npm's bin is a symlink). */
function isMain(): boolean {
  const main = (import.meta as { main?: boolean }).main;
  if (main !== undefined) return main;
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href;
}

if (isMain()) {
  const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
  try {
    await (await runCli(parseArguments(args))).finished;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
}

#!/usr/bin/env node
/**
 * Serves a module whose default export is `{ fetch }` (or a fetch function):
 *
 * ```sh
 * deno run -A jsr:@hussar/core/cli app.ts       # or a path to cli.ts
 * bun node_modules/@hussar/core/esm/cli.js app.ts
 * npx hussar app.mjs                             # the npm build's bin
 * ```
 *
 * Options: `--port N` (default: the module's `port`, else 8000),
 * `--hostname H` (default: the module's `hostname`, else 0.0.0.0), `--help`.
 * SIGINT or SIGTERM shuts the server down gracefully and exits 0; a module
 * that fails to load is reported by the runtime, with the file and line of
 * the fault.
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
export type AppModule = FetchHandler | {
  fetch: FetchHandler;
  port?: number | string;
  hostname?: string;
};

/** The parsed command line. */
export interface CliArguments {
  /** The module to serve. */
  module: string;
  /** `--port`, as given (`serve()` checks it, as it checks `process.env.PORT`). */
  port?: number | string;
  /** `--hostname`. */
  hostname?: string;
}

const USAGE = "usage: hussar [--port N] [--hostname H] <module with a default export { fetch }>";

const HELP = `${USAGE}

Serves the module's default export: { fetch(request, info) } (a Hono app, for
instance) or a fetch function. The export may also carry port and hostname.

  --port N        TCP port (default: the module's port, else 8000; 0 picks a free one)
  --hostname H    address to listen on (default: the module's hostname, else 0.0.0.0)
  -h, --help      print this help and exit

SIGINT (Ctrl-C) or SIGTERM shuts the server down gracefully: it stops accepting,
lets in-flight requests finish, then exits 0. A second signal stops it at once.`;

/**
 * Parses `[--port N] [--hostname H] <module>` (or `--help`); throws a TypeError
 * carrying the usage line for anything else.
 *
 * @example
 * ```ts
 * import { parseArguments } from "./cli.ts";
 * console.log(parseArguments(["app.ts", "--port", "3000"])); // { module: "app.ts", port: "3000" }
 * console.log(parseArguments(["--help"])); // { help: true }
 * ```
 */
export function parseArguments(args: readonly string[]): CliArguments | { help: true } {
  if (args.includes("--help") || args.includes("-h")) return { help: true };
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
      parsed.port = value();
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

/**
 * The module given to {@linkcode runCli} could not be loaded: its `cause` is
 * the module's own error (a syntax error, a failed import, an exception at
 * its top level), whose stack tells where.
 *
 * @example
 * ```ts
 * import { AppLoadError, runCli } from "./cli.ts";
 * const module = "data:text/javascript,undefinedThing()";
 * const error = await runCli({ module, port: 0 }).catch((error) => error);
 * console.log(error instanceof AppLoadError, (error.cause as Error).name); // true ReferenceError
 * ```
 */
export class AppLoadError extends Error {
  /** The module, as given. */
  readonly module: string;

  /** Names the module and repeats its error's message. */
  constructor(module: string, cause: unknown) {
    super(
      `hussar: cannot load ${module}: ${cause instanceof Error ? cause.message : cause}`,
      { cause },
    );
    this.name = "AppLoadError";
    this.module = module;
  }
}

/**
 * Loads `args.module` and serves its default export; returns the running
 * server once it listens. Rejects with an {@linkcode AppLoadError} if the
 * module cannot be loaded, a TypeError if it exports no handler or an option
 * is malformed, and `serve()`'s error if the server cannot listen.
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
  let loaded: { default?: unknown };
  try {
    loaded = await import(specifier);
  } catch (error) {
    throw new AppLoadError(args.module, error);
  }
  const app = loaded.default as AppModule | undefined;
  const handler = typeof app === "function" ? app : app?.fetch;
  if (typeof handler !== "function") {
    throw new TypeError(
      `${args.module} must export default { fetch(request) } or a fetch function`,
    );
  }
  const options: { port?: number | string; hostname?: string } = typeof app === "object" ? app : {};
  const server = serve({
    port: args.port ?? options.port ?? 8000,
    hostname: args.hostname ?? options.hostname,
    onListen,
  }, handler.bind(app));
  await server.ready;
  return server;
}

/**
 * Runs `server` as a program's main job, and resolves with the exit code:
 * 1 (after printing why) if it cannot listen; otherwise, once SIGINT or
 * SIGTERM has shut it down gracefully (in-flight requests finish; a second
 * signal closes it at once) or it stopped by other means, 0. `onShutdown`
 * runs on the first signal, before the server's `shutdown()`: end what never
 * finishes on its own there (event streams, say).
 *
 * @example
 * ```ts
 * import { runUntilStopped } from "./cli.ts";
 * import { serve } from "./serve/mod.ts";
 * const server = serve({ port: 0, onListen() {} }, () => new Response("hi"));
 * const exitCode = runUntilStopped(server); // in a program: process.exit(await exitCode)
 * await server.ready;
 * await server.shutdown(); // as a SIGTERM would
 * console.log(await exitCode); // 0
 * ```
 */
export async function runUntilStopped(
  server: HttpServer,
  onShutdown?: () => void,
): Promise<number> {
  try {
    await server.ready;
  } catch (error) {
    server.finished.catch(() => {}); // the failure is reported here, once
    console.error(error instanceof Error ? error.message : error);
    return 1;
  }
  let signals = 0;
  const onSignal = (signal: string): void => {
    if (signals++ > 0) {
      void server.close();
      return;
    }
    console.error(
      `hussar: ${signal}: shutting down, in-flight requests finish (${signal} again stops at once)`,
    );
    onShutdown?.();
    void server.shutdown();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await server.finished;
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
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
  let server: HttpServer;
  try {
    const command = parseArguments(args);
    if ("help" in command) {
      console.log(HELP);
      process.exit(0);
    }
    server = await runCli(command);
  } catch (error) {
    if (error instanceof AppLoadError) {
      // The runtime reports an uncaught error best: with the file, the line
      // and the code at fault (a syntax error's location is on no property).
      console.error(`hussar: cannot load ${error.module}; the runtime says why:`);
      throw error.cause;
    }
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof TypeError || error instanceof RangeError ? 2 : 1);
  }
  process.exit(await runUntilStopped(server));
}

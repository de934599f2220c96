import type { NetAddress, Source, Transport } from "../core/transport.ts";
import type { Logger } from "../internal/logger.ts";
import { bunRuntime, denoRuntime, RUNTIME_ADAPTER } from "../internal/runtime_types.ts";

/**
 * Where and how to listen.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "@hussar/core/sources";
 * const options: ListenOptions = { hostname: "127.0.0.1", port: 0 };
 * console.log(options.port); // 0
 * ```
 */
export interface ListenOptions {
  /** Address to listen on (default `"0.0.0.0"`, every IPv4 address). */
  hostname?: string;
  /** TCP port (default 8000; 0 picks a free one, see {@linkcode Listener.addr}). */
  port?: number;
  /**
   * Listen on this Unix socket instead; `hostname` and `port` are then
   * ignored. A socket file left by a server that is gone (a connect is
   * refused) is removed first; a live one or any other file is not touched.
   */
  path?: string;
  /**
   * Let several listeners share the port (the kernel spreads connections
   * among them). Honoured on Linux by Bun, by Deno when run with
   * `--unstable-net`, and by Node from 22.12; ignored elsewhere (Node 20,
   * Deno without the flag).
   */
  reusePort?: boolean;
  /**
   * Where failed accepts are reported (`false`: nowhere): a failure of the
   * listener once per run of them, an accept callback that throws. Default:
   * the console.
   */
  logger?: Logger | false;
  /**
   * The protocols TLS offers by ALPN, in order of preference (default
   * `["http/1.1"]`); the one agreed is the connection's `info.alpnProtocol`.
   */
  alpnProtocols?: readonly string[];
  /** Serve TLS with this PEM certificate chain and key; ALPN offers `alpnProtocols`. */
  tls?: {
    /** Certificate chain (PEM). */
    cert: string;
    /** Private key (PEM). */
    key: string;
  };
}

/**
 * A listening socket: a {@linkcode Source} of real connections.
 *
 * Each accepted connection is a {@linkcode Transport} whose readable reads
 * from the socket only while it is pulled (a server that stops reading
 * slows the peer down), whose writes resolve once the socket took the bytes
 * (waiting while its buffer is full), whose `close()` sends what is queued
 * then a FIN, and whose `abort()` drops the connection at once with a reset
 * (on Deno, which offers no SO_LINGER, the peer may get the bytes already
 * queued and a FIN instead). Once both directions are done the socket is
 * closed; if the peer still had unread input on the way, it is read and
 * dropped until the peer's FIN (at most 2 seconds), so the peer is not sent
 * a reset that could destroy the response it has not read yet. Chunks given
 * to `write()` must not be changed afterwards.
 *
 * @example
 * ```ts
 * import { listen } from "@hussar/core/sources";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * listener.listen((transport) => void transport.writable.abort());
 * console.log(listener.runtime, listener.addr.port > 0);
 * await listener.close();
 * ```
 */
export interface Listener extends Source {
  /** The address listened on: the real port when 0 was asked. */
  readonly addr: NetAddress;
  /** Whose socket API serves this listener. */
  readonly runtime: "deno" | "bun" | "node";
  /**
   * Starts handing each accepted connection to `accept` (ones accepted
   * before are handed now). Called once.
   */
  listen(accept: (transport: Transport) => void): void;
  /**
   * Stops accepting: the listening socket is closed, new connects are
   * refused. Connections already handed over are not touched.
   */
  close(): Promise<void>;
}

/**
 * Listens on the runtime this runs on, with its own socket API: `Deno.listen`
 * on Deno, `Bun.listen` on Bun, `node:net` on Node (chosen by looking at the
 * globals, never by build flags). Rejects with a {@linkcode ListenError}
 * (`code` `EADDRINUSE`, `EACCES`, ... the same on every runtime) when the
 * address is taken, not available or not allowed, or the TLS material cannot
 * be read; with a TypeError or RangeError for malformed options.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { httpHandler } from "@hussar/core/httputil";
 * import { listen } from "@hussar/core/sources";
 * const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "hi" })) });
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * hussar.attachSource(listener);
 * const response = await fetch(`http://127.0.0.1:${listener.addr.port}/`);
 * console.log(await response.text()); // hi
 * await hussar.close();
 * ```
 */
export async function listen(options: ListenOptions = {}): Promise<Listener> {
  if (typeof options.path === "string" && options.path !== "") {
    const { removeStaleSocket } = await import("./_stale_socket.ts");
    await removeStaleSocket(options.path);
  }
  return (await runtimeAdapter())(options);
}

type ListenFunction = (options: ListenOptions) => Promise<Listener>;

let adapter: Promise<ListenFunction> | null = null;

/**
 * The listen function of the runtime this runs on, its module loaded on
 * first use: each runtime loads its own adapter only (`node:net` and
 * `node:tls` are not loaded on Deno or Bun). The package's conditional
 * import picks it; where there is none (the sources run as they are), the
 * globals tell.
 */
function runtimeAdapter(): Promise<ListenFunction> {
  // A specifier in a variable: outside the npm package it does not resolve, and must not be checked.
  const specifier: string = RUNTIME_ADAPTER;
  return adapter ??= import(specifier).then(adapterIn, detectAdapter);
}

/** The listen function a runtime's adapter module exports. */
function adapterIn(module: Record<string, ListenFunction | undefined>): ListenFunction {
  const found = module.listenDeno ?? module.listenBun ?? module.listenNode;
  if (found === undefined) throw new Error(`${RUNTIME_ADAPTER} is no listen adapter`);
  return found;
}

function detectAdapter(): Promise<ListenFunction> {
  return denoRuntime() !== undefined
    ? import("./deno.ts").then((module) => module.listenDeno)
    : bunRuntime() !== undefined
    ? import("./bun.ts").then((module) => module.listenBun)
    : import("./node.ts").then((module) => module.listenNode);
}

/**
 * The small parts of the `Deno` and `Bun` globals the sources use. Declared
 * here rather than taken from the runtimes' own type packages so the same
 * files type-check under `deno check` and under the npm build's `tsc`
 * (where neither namespace exists).
 *
 * @module
 */

/** An address as `Deno.Conn`/`Deno.Listener` report it. */
export type DenoAddrLike =
  | { transport: "tcp" | "udp"; hostname: string; port: number }
  | { transport: "unix" | "unixpacket"; path: string | null };

/** What the Deno adapter uses of a `Deno.Conn` (or `Deno.TlsConn`). */
export interface DenoConnLike {
  readonly localAddr: DenoAddrLike;
  readonly remoteAddr: DenoAddrLike;
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
  handshake?(): Promise<{ alpnProtocol: string | null }>;
}

/** What the Deno adapter uses of a `Deno.Listener`. */
export interface DenoListenerLike {
  readonly addr: DenoAddrLike;
  accept(): Promise<DenoConnLike>;
  close(): void;
}

/** TCP options of `Deno.listen`/`Deno.listenTls`. */
export interface DenoTcpListenOptionsLike {
  hostname: string;
  port: number;
  transport?: "tcp";
  reusePort?: boolean;
}

/** What the sources use of the `Deno` global. */
export interface DenoLike {
  listen(options: DenoTcpListenOptionsLike | { transport: "unix"; path: string }): DenoListenerLike;
  listenTls(
    options: DenoTcpListenOptionsLike & { cert: string; key: string; alpnProtocols?: string[] },
  ): DenoListenerLike;
  unrefTimer?(id: number): void;
  /** Present only with `--unstable-net`, which `reusePort` also needs. */
  listenDatagram?: unknown;
}

/** What the Bun adapter uses of a socket made by `Bun.listen`. */
export interface BunSocketLike<T> {
  data: T;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly alpnProtocol?: string | false | null;
  /**
   * Bytes taken by the kernel (or TLS layer), of `length` from `offset` if
   * given; the rest is the caller's; -1 once closed.
   */
  write(bytes: Uint8Array, offset?: number, length?: number): number;
  /** Closes the socket (FIN). */
  end(): void;
  /** Ends our side only (FIN), keeps reading. */
  shutdown(halfClose?: boolean): void;
  /** Closes at once (RST). */
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

/** The socket handlers of `Bun.listen`. */
export interface BunSocketHandlersLike<T> {
  /** What `data` is given: `"uint8array"` for a plain `Uint8Array` (the default is a Buffer). */
  binaryType?: "buffer" | "uint8array";
  open?(socket: BunSocketLike<T>): void;
  handshake?(socket: BunSocketLike<T>, success: boolean, error: Error | null): void;
  data?(socket: BunSocketLike<T>, chunk: Uint8Array): void;
  drain?(socket: BunSocketLike<T>): void;
  end?(socket: BunSocketLike<T>): void;
  close?(socket: BunSocketLike<T>, error?: Error): void;
  error?(socket: BunSocketLike<T>, error: Error): void;
}

/** Options of `Bun.listen` (TCP or Unix). */
export interface BunListenOptionsLike<T> {
  hostname?: string;
  port?: number;
  unix?: string;
  reusePort?: boolean;
  allowHalfOpen?: boolean;
  tls?: { cert: string; key: string; ALPNProtocols?: string };
  socket: BunSocketHandlersLike<T>;
}

/** What the Bun adapter uses of a `Bun.listen` listener. */
export interface BunListenerLike {
  readonly hostname?: string;
  readonly port?: number;
  readonly unix?: string;
  stop(closeActiveConnections?: boolean): void;
}

/** What the sources use of the `Bun` global. */
export interface BunLike {
  listen<T>(options: BunListenOptionsLike<T>): BunListenerLike;
}

/** The `Deno` global when running on Deno. */
export function denoRuntime(): DenoLike | undefined {
  return (globalThis as unknown as { Deno?: DenoLike }).Deno;
}

/** The `Bun` global when running on Bun. */
export function bunRuntime(): BunLike | undefined {
  return (globalThis as unknown as { Bun?: BunLike }).Bun;
}

/**
 * The npm package's conditional import of the runtime's socket adapter: its
 * package.json maps it by the `deno`, `bun` and `node` conditions
 * (scripts/build_npm.ts writes it), as srvx's exports pick an adapter.
 */
export const RUNTIME_ADAPTER = "#hussar/listen";

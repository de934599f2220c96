/**
 * What a source hands the core: Web-standard byte streams plus facts about
 * the peer.
 *
 * @module
 */

/** A network address, as Deno reports them. */
export interface NetAddress {
  /** `"tcp"` for IP sockets, `"unix"` for Unix sockets, `"memory"` for in-process streams. */
  transport: "tcp" | "unix" | "memory";
  /** IP address or host name (`tcp`), empty otherwise. */
  hostname: string;
  /** Port (`tcp`), 0 otherwise. */
  port: number;
  /** Socket path (`unix`). */
  path?: string;
}

/**
 * Facts about one connection.
 *
 * @example
 * ```ts
 * import type { ConnectionInfo } from "@hussar/core/core";
 * const info: ConnectionInfo = {
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 51000 },
 *   localAddr: { transport: "tcp", hostname: "127.0.0.1", port: 8000 },
 *   tls: false,
 * };
 * console.log(info.remoteAddr.hostname);
 * ```
 */
export interface ConnectionInfo {
  /** The peer's address. */
  remoteAddr: NetAddress;
  /** Our end's address. */
  localAddr: NetAddress;
  /** Whether bytes travel over TLS. */
  tls: boolean;
  /** The ALPN protocol agreed during the TLS handshake, if any. */
  alpnProtocol?: string | null;
}

/**
 * A byte stream pair for one connection, as a source produces it.
 *
 * @example
 * ```ts
 * import type { Transport } from "@hussar/core/core";
 * const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
 * const transport: Transport = {
 *   readable,
 *   writable,
 *   info: {
 *     remoteAddr: { transport: "memory", hostname: "", port: 0 },
 *     localAddr: { transport: "memory", hostname: "", port: 0 },
 *     tls: false,
 *   },
 * };
 * console.log(transport.info.tls);
 * ```
 */
export interface Transport {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer; a pending write is backpressure. */
  readonly writable: WritableStream<Uint8Array>;
  /** Facts about the connection. */
  readonly info: ConnectionInfo;
}

/**
 * Where connections come from (a listener, or an in-memory fake).
 *
 * @example
 * ```ts
 * import type { Source, Transport } from "@hussar/core/core";
 * class OneShot implements Source {
 *   constructor(private transport: Transport) {}
 *   listen(accept: (transport: Transport) => void): void {
 *     accept(this.transport);
 *   }
 *   close(): void {}
 * }
 * console.log(typeof OneShot);
 * ```
 */
export interface Source {
  /** Starts handing each new connection to `accept`. */
  listen(accept: (transport: Transport) => void): void | Promise<void>;
  /** Stops accepting; connections already handed over are not affected. */
  close(): void | Promise<void>;
}

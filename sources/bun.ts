import type { ConnectionInfo, NetAddress, Transport } from "../core/transport.ts";
import type { Listener, ListenOptions } from "./listen.ts";
import { BunSocketTransport } from "./_bun_transport.ts";
import {
  ALPN_PROTOCOLS,
  type ResolvedListenOptions,
  resolveListenOptions,
  tcpAddr,
  unixAddr,
} from "./_options.ts";
import { listenError } from "./_listen_error.ts";
import {
  type BunListenerLike,
  type BunListenOptionsLike,
  bunRuntime,
  type BunSocketLike,
} from "../internal/runtime_types.ts";
import { HANDSHAKE_TIMEOUT_MS, unrefTimeout } from "./_timing.ts";
import { handOver } from "./_accept.ts";
import type { Logger } from "../internal/logger.ts";

type BunSocket = BunSocketLike<BunSocketTransport | undefined>;

/**
 * Listens with `Bun.listen` (TCP, TLS or a Unix socket). Only on Bun;
 * {@linkcode listen} picks it there. `reusePort` is honoured (on Linux).
 *
 * @example
 * ```ts
 * import { listenBun } from "@hussar/core/sources";
 * if ("Bun" in globalThis) {
 *   const listener = await listenBun({ hostname: "127.0.0.1", port: 0 });
 *   console.log(listener.addr.port > 0); // true
 *   await listener.close();
 * }
 * ```
 */
export function listenBun(options: ListenOptions = {}): Promise<Listener> {
  const bun = bunRuntime();
  if (bun === undefined) return Promise.reject(new Error("listenBun() needs the Bun runtime"));
  let resolved: ResolvedListenOptions;
  try {
    resolved = resolveListenOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const listener = new BunListener(resolved);
  const bunOptions: BunListenOptionsLike<BunSocketTransport> = resolved.kind === "unix"
    ? { unix: resolved.path, allowHalfOpen: true, socket: listener.handlers }
    : {
      hostname: resolved.hostname,
      port: resolved.port,
      reusePort: resolved.reusePort,
      allowHalfOpen: true,
      socket: listener.handlers,
    };
  if (resolved.tls) {
    bunOptions.tls = {
      cert: resolved.tls.cert,
      key: resolved.tls.key,
      // The wire format: each protocol name prefixed by its length.
      ALPNProtocols: ALPN_PROTOCOLS.map((p) => String.fromCharCode(p.length) + p).join(""),
    };
  }
  try {
    listener.started(bun.listen(bunOptions));
  } catch (error) {
    return Promise.reject(listenError(resolved, error));
  }
  return Promise.resolve(listener);
}

class BunListener implements Listener {
  readonly runtime = "bun" as const;
  #addr: NetAddress | null = null;
  #handle: BunListenerLike | null = null;
  readonly #tls: boolean;
  readonly #logger: Logger;
  #accept: ((transport: Transport) => void) | null = null;
  #backlog: BunSocketTransport[] = [];
  #closed = false;
  /** TLS sockets still in their handshake, with the timer that bounds it. */
  readonly #handshaking = new Map<BunSocket, () => void>();

  /** Bun calls these for every socket of the listener. */
  readonly handlers = {
    open: (socket: BunSocket): void => {
      if (this.#closed) {
        socket.terminate();
        return;
      }
      socket.setNoDelay?.(true);
      const transport = new BunSocketTransport(
        socket as BunSocketLike<unknown>,
        this.#infoOf(socket),
      );
      socket.data = transport;
      if (!this.#tls) {
        transport.pause();
        this.#hand(transport);
        return;
      }
      // The handshake needs reading, so the socket is paused only once it is done.
      this.#handshaking.set(
        socket,
        unrefTimeout(() => socket.terminate(), HANDSHAKE_TIMEOUT_MS),
      );
    },
    handshake: (socket: BunSocket, success: boolean): void => {
      this.#handshaking.get(socket)?.();
      this.#handshaking.delete(socket);
      if (!success || this.#closed) {
        socket.terminate();
        return;
      }
      const transport = socket.data;
      if (transport === undefined) return;
      transport.pause();
      transport.info.alpnProtocol = socket.alpnProtocol || null;
      this.#hand(transport);
    },
    data: (socket: BunSocket, chunk: Uint8Array): void => socket.data?.onData(chunk),
    drain: (socket: BunSocket): void => socket.data?.onDrain(),
    end: (socket: BunSocket): void => socket.data?.onEnd(),
    error: (socket: BunSocket, error: Error): void => socket.data?.onError(error),
    close: (socket: BunSocket, error?: Error): void => {
      this.#handshaking.get(socket)?.();
      this.#handshaking.delete(socket);
      socket.data?.onClose(error);
    },
  };

  constructor(options: ResolvedListenOptions) {
    this.#tls = options.tls !== undefined;
    this.#logger = options.logger;
  }

  /** @internal Called once `Bun.listen` succeeded. */
  started(handle: BunListenerLike): void {
    this.#handle = handle;
    this.#addr = handle.unix !== undefined && handle.unix !== ""
      ? unixAddr(handle.unix)
      : tcpAddr(handle.hostname, handle.port);
  }

  get addr(): NetAddress {
    return this.#addr as NetAddress;
  }

  listen(accept: (transport: Transport) => void): void {
    if (this.#closed) throw new Error("the listener is closed");
    if (this.#accept !== null) throw new Error("the listener already has an accept callback");
    this.#accept = accept;
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const transport of backlog) handOver(accept, transport, this.#logger);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#accept = null;
    for (const transport of this.#backlog.splice(0)) transport.abort();
    for (const socket of [...this.#handshaking.keys()]) socket.terminate();
    // false: accepted connections stay open.
    this.#handle?.stop(false);
    return Promise.resolve();
  }

  #hand(transport: BunSocketTransport): void {
    if (this.#accept !== null) handOver(this.#accept, transport, this.#logger);
    else this.#backlog.push(transport);
  }

  #infoOf(socket: BunSocket): ConnectionInfo {
    if (this.#addr?.transport === "unix") {
      return {
        remoteAddr: unixAddr(""),
        localAddr: this.#addr,
        tls: this.#tls,
        alpnProtocol: null,
      };
    }
    return {
      remoteAddr: tcpAddr(socket.remoteAddress, socket.remotePort),
      localAddr: tcpAddr(socket.localAddress, socket.localPort),
      tls: this.#tls,
      alpnProtocol: null,
    };
  }
}

import type { ConnectionInfo, NetAddress } from "../core/transport.ts";
import type { Listener, ListenOptions } from "./listen.ts";
import { BunSocketTransport } from "./_bun_transport.ts";
import { type ResolvedListenOptions, resolveListenOptions, tcpAddr, unixAddr } from "./_options.ts";
import { listenError } from "./_listen_error.ts";
import {
  type BunListenerLike,
  type BunListenOptionsLike,
  bunRuntime,
  type BunSocketLike,
} from "../internal/runtime_types.ts";
import { ListenerBase } from "./_listener_base.ts";
import { SocketInfo, socketLocal, socketPeer } from "./_socket_info.ts";

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
      ALPNProtocols: resolved.alpnProtocols.map((p) => String.fromCharCode(p.length) + p).join(""),
    };
  }
  try {
    listener.started(bun.listen(bunOptions));
  } catch (error) {
    return Promise.reject(listenError(resolved, error));
  }
  return Promise.resolve(listener);
}

class BunListener extends ListenerBase<BunSocketTransport> {
  readonly runtime = "bun" as const;
  #addr: NetAddress | null = null;
  #handle: BunListenerLike | null = null;

  /** Bun calls these for every socket of the listener. */
  readonly handlers = {
    // Plain Uint8Arrays: a Buffer would need a view of its own (Buffer#slice shares memory where
    // Uint8Array#slice copies), and reading its `buffer` costs Bun more than the view.
    binaryType: "uint8array" as const,
    open: (socket: BunSocket): void => {
      if (this.closed) {
        socket.terminate();
        return;
      }
      // No setNoDelay(): Bun sets TCP_NODELAY on every socket it accepts. Nor a pause: see the transport.
      const transport = new BunSocketTransport(
        socket as BunSocketLike<unknown>,
        this.#infoOf(socket),
      );
      socket.data = transport;
      if (!this.tls) {
        this.hand(transport);
        return;
      }
      this.handshakeStarted(socket, () => socket.terminate());
    },
    handshake: (socket: BunSocket, success: boolean): void => {
      this.handshakeEnded(socket);
      if (!success || this.closed) {
        socket.terminate();
        return;
      }
      const transport = socket.data;
      if (transport === undefined) return;
      transport.info.alpnProtocol = socket.alpnProtocol || null;
      this.hand(transport);
    },
    data: (socket: BunSocket, chunk: Uint8Array): void => socket.data?.onData(chunk),
    drain: (socket: BunSocket): void => socket.data?.onDrain(),
    end: (socket: BunSocket): void => socket.data?.onEnd(),
    error: (socket: BunSocket, error: Error): void => socket.data?.onError(error),
    close: (socket: BunSocket, error?: Error): void => {
      this.handshakeEnded(socket);
      socket.data?.onClose(error);
    },
  };

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

  protected stopAccepting(): Promise<void> {
    // false: accepted connections stay open.
    this.#handle?.stop(false);
    return Promise.resolve();
  }

  #infoOf(socket: BunSocket): ConnectionInfo {
    if (this.#addr?.transport === "unix") {
      return {
        remoteAddr: unixAddr(""),
        localAddr: this.#addr,
        tls: this.tls,
        alpnProtocol: null,
      };
    }
    return new SocketInfo(
      socket,
      socketPeer,
      this.localAddrOf(socket, socketLocal),
      this.tls,
      null,
    );
  }
}

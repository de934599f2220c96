import { createServer as createNetServer, type ListenOptions as NetListenOptions } from "node:net";
import type { Server, Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { ConnectionInfo, NetAddress } from "../core/transport.ts";
import type { Listener, ListenOptions } from "./listen.ts";
import { NodeSocketTransport } from "./_node_transport.ts";
import { type ResolvedListenOptions, resolveListenOptions, tcpAddr, unixAddr } from "./_options.ts";
import { listenError } from "./_listen_error.ts";
import { HANDSHAKE_TIMEOUT_MS } from "./_timing.ts";
import { ListenerBase } from "./_listener_base.ts";
import { SocketInfo, socketLocal, socketPeer } from "./_socket_info.ts";

/**
 * Listens with `node:net` (or `node:tls` when `options.tls` is given). Works
 * on Node, and on Deno and Bun through their `node:` modules, though
 * {@linkcode listen} picks their own faster APIs there.
 *
 * `reusePort` is passed to Node, which honours it from Node 22.12 on Linux;
 * Node 20 ignores it (a second listener on the port then fails with
 * EADDRINUSE).
 *
 * @example
 * ```ts
 * import { listenNode } from "@hussar/core/sources";
 * const listener = await listenNode({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.port > 0); // true
 * await listener.close();
 * ```
 */
export function listenNode(options: ListenOptions = {}): Promise<Listener> {
  let resolved: ResolvedListenOptions;
  let server: Server;
  try {
    resolved = resolveListenOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  try {
    server = resolved.tls
      ? createTlsServer({
        cert: resolved.tls.cert,
        key: resolved.tls.key,
        ALPNProtocols: [...resolved.alpnProtocols],
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        allowHalfOpen: true,
        noDelay: true,
      })
      // Sockets start paused: nothing is read before the consumer asks.
      : createNetServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  } catch (error) {
    return Promise.reject(listenError(resolved, error));
  }
  const target: NetListenOptions & { reusePort?: boolean } = resolved.kind === "unix"
    ? { path: resolved.path }
    : { host: resolved.hostname, port: resolved.port };
  if (resolved.kind === "tcp" && resolved.reusePort) target.reusePort = true;
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => reject(listenError(resolved, error));
    server.once("error", fail);
    server.listen(target, () => {
      server.off("error", fail);
      resolve(new NodeListener(server, resolved));
    });
  });
}

/** Node's handshake timeout is the TLS server's own (`handshakeTimeout`). */
class NodeListener extends ListenerBase<NodeSocketTransport> {
  readonly runtime = "node" as const;
  readonly addr: NetAddress;
  readonly #server: Server;

  constructor(server: Server, options: ResolvedListenOptions) {
    super(options);
    this.#server = server;
    const address = server.address();
    this.addr = typeof address === "string" || address === null
      ? unixAddr(options.kind === "unix" ? options.path : address)
      : tcpAddr(address.address, address.port);
    const event = this.tls ? "secureConnection" : "connection";
    server.on(event, (socket: Socket) => this.#onSocket(socket));
    // libuv accepts again by itself (and skips ECONNABORTED): a client that reset before it was
    // taken is forgotten, a failure of the listener (out of descriptors, ...) reported.
    server.on("error", (error) => void this.failures.failed(error));
  }

  protected stopAccepting(): Promise<void> {
    // Closes the listening socket now (synchronously); the callback would wait for every
    // accepted connection, which close() leaves alone.
    this.#server.close(() => {});
    return Promise.resolve();
  }

  #onSocket(socket: Socket): void {
    if (this.closed) {
      // A TLS handshake that finished after close(): nobody accepts it any more.
      socket.destroy();
      return;
    }
    this.failures.succeeded();
    this.hand(new NodeSocketTransport(socket, this.#infoOf(socket)));
  }

  #infoOf(socket: Socket): ConnectionInfo {
    const tls = this.tls;
    const alpn = tls ? (socket as TLSSocket).alpnProtocol : null;
    if (this.addr.transport === "unix") {
      return { remoteAddr: unixAddr(""), localAddr: this.addr, tls, alpnProtocol: alpn || null };
    }
    return new SocketInfo(
      socket,
      socketPeer,
      this.localAddrOf(socket, socketLocal),
      tls,
      alpn || null,
    );
  }
}

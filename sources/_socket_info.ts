import type { ConnectionInfo, NetAddress } from "../core/transport.ts";
import { tcpAddr } from "./_options.ts";

/** The peer's address as a `node:net` or Bun socket tells it (each read a system call). */
export interface PeerSocket {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/** The peer of a `node:net` or Bun socket (for {@linkcode SocketInfo}). */
export function socketPeer(socket: PeerSocket): NetAddress {
  return tcpAddr(socket.remoteAddress, socket.remotePort);
}

/** The local end of a `node:net` or Bun socket (each read a system call). */
export interface LocalSocket {
  readonly localAddress?: string;
  readonly localPort?: number;
}

/** Where a `node:net` or Bun socket was accepted (for `ListenerBase.localAddrOf`). */
export function socketLocal(socket: LocalSocket): [string | undefined, number | undefined] {
  return [socket.localAddress, socket.localPort];
}

/**
 * A connection's facts, the peer's address made from `socket` by
 * `peerOf` (a function of the source's module, not a closure per
 * connection) when first asked: Node makes a `getpeername` call for it,
 * Bun one for the address and another for the port, Deno builds an object;
 * a server that never looks need not pay (a few µs a connection). A closed
 * Node or Bun socket has forgotten it: read first only then, the address is
 * the unknown one (an empty host name, port 0), as `Bun.serve`'s
 * `requestIP()` answers `null`.
 */
export class SocketInfo<S> implements ConnectionInfo {
  readonly localAddr: NetAddress;
  readonly tls: boolean;
  alpnProtocol: string | null;
  readonly #socket: S;
  readonly #peerOf: (socket: S) => NetAddress;
  #remoteAddr: NetAddress | null = null;

  constructor(
    socket: S,
    peerOf: (socket: S) => NetAddress,
    localAddr: NetAddress,
    tls: boolean,
    alpnProtocol: string | null,
  ) {
    this.#socket = socket;
    this.#peerOf = peerOf;
    this.localAddr = localAddr;
    this.tls = tls;
    this.alpnProtocol = alpnProtocol;
  }

  get remoteAddr(): NetAddress {
    return this.#remoteAddr ??= this.#peerOf(this.#socket);
  }
}

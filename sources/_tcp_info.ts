import type { ConnectionInfo, NetAddress } from "../core/transport.ts";
import { tcpAddr } from "./_options.ts";

/** The peer's address as a `node:net` or Bun socket tells it (each read a system call). */
export interface PeerSocket {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/**
 * A TCP connection's facts, the peer's address read from the socket when
 * first asked: Node makes a `getpeername` call for it (and builds its
 * answer), Bun one for the address and another for the port, which a server
 * that never looks need not pay (a few µs a connection). A closed socket has
 * forgotten it: read first only then, the address is the unknown one (an
 * empty host name, port 0), as `Bun.serve`'s `requestIP()` answers `null`.
 */
export class TcpInfo implements ConnectionInfo {
  readonly localAddr: NetAddress;
  readonly tls: boolean;
  alpnProtocol: string | null;
  readonly #socket: PeerSocket;
  #remoteAddr: NetAddress | null = null;

  constructor(
    socket: PeerSocket,
    localAddr: NetAddress,
    tls: boolean,
    alpnProtocol: string | null,
  ) {
    this.#socket = socket;
    this.localAddr = localAddr;
    this.tls = tls;
    this.alpnProtocol = alpnProtocol;
  }

  get remoteAddr(): NetAddress {
    return this.#remoteAddr ??= tcpAddr(this.#socket.remoteAddress, this.#socket.remotePort);
  }
}

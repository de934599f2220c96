import type { ConnectionInfo, NetAddress } from "../core/transport.ts";
import type { Listener, ListenOptions } from "./listen.ts";
import { DenoConnTransport } from "./_deno_transport.ts";
import { type ResolvedListenOptions, resolveListenOptions, tcpAddr, unixAddr } from "./_options.ts";
import { listenError } from "./_listen_error.ts";
import {
  type DenoAddrLike,
  type DenoConnLike,
  type DenoLike,
  type DenoListenerLike,
  denoRuntime,
  type DenoTcpListenOptionsLike,
} from "../internal/runtime_types.ts";
import { ListenerBase } from "./_listener_base.ts";
import { SocketInfo } from "./_socket_info.ts";

/**
 * Listens with `Deno.listen` (TCP or a Unix socket) or `Deno.listenTls`.
 * Only on Deno; {@linkcode listen} picks it there. `reusePort` is an
 * unstable Deno API: it is honoured when the program runs with
 * `--unstable-net` and ignored otherwise (without the flag Deno would end
 * the process). TLS over a Unix socket is not available on Deno (its TLS
 * listener is TCP only): that combination rejects.
 *
 * @example
 * ```ts
 * import { listenDeno } from "@hussar/core/sources";
 * if ("Deno" in globalThis) {
 *   const listener = await listenDeno({ hostname: "127.0.0.1", port: 0 });
 *   console.log(listener.addr.port > 0); // true
 *   await listener.close();
 * }
 * ```
 */
export function listenDeno(options: ListenOptions = {}): Promise<Listener> {
  const deno = denoRuntime();
  if (deno === undefined) return Promise.reject(new Error("listenDeno() needs the Deno runtime"));
  let resolved: ResolvedListenOptions;
  try {
    resolved = resolveListenOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  try {
    return Promise.resolve(new DenoListener(open(deno, resolved), resolved));
  } catch (error) {
    return Promise.reject(listenError(resolved, error));
  }
}

function open(deno: DenoLike, options: ResolvedListenOptions): DenoListenerLike {
  if (options.kind === "unix") {
    if (options.tls) {
      throw Object.assign(new Error("TLS over a Unix socket is not supported on Deno"), {
        code: "ENOTSUP",
      });
    }
    return deno.listen({ transport: "unix", path: options.path });
  }
  const tcp: DenoTcpListenOptionsLike = { hostname: options.hostname, port: options.port };
  // Without --unstable-net, asking for reusePort makes Deno exit; the flag exposes listenDatagram.
  if (options.reusePort && typeof deno.listenDatagram === "function") tcp.reusePort = true;
  if (!options.tls) return deno.listen({ ...tcp, transport: "tcp" });
  return deno.listenTls({ ...tcp, ...options.tls, alpnProtocols: [...options.alpnProtocols] });
}

class DenoListener extends ListenerBase<DenoConnTransport> {
  readonly runtime = "deno" as const;
  readonly addr: NetAddress;
  readonly #listener: DenoListenerLike;
  /** Whether connections are TCP (not a Unix socket). */
  readonly #tcp: boolean;
  #loop: Promise<void> | null = null;
  #endPause: (() => void) | null = null;

  constructor(listener: DenoListenerLike, options: ResolvedListenOptions) {
    super(options);
    this.#listener = listener;
    this.addr = addrOf(listener.addr);
    this.#tcp = this.addr.transport === "tcp";
  }

  /** Until now connections waited in the kernel's backlog. */
  protected override startAccepting(): void {
    this.#loop = this.#acceptLoop();
  }

  protected async stopAccepting(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    this.#endPause?.();
    // Deno releases the socket (and unlinks a Unix socket's file) once the pending accept settled.
    await this.#loop;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.closed) {
      let conn: DenoConnLike;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.closed) return;
        // A client that reset before it was taken costs nothing; the listener failing pauses.
        const pauseMs = this.failures.failed(error);
        if (pauseMs > 0) await this.#pause(pauseMs);
        continue;
      }
      this.failures.succeeded();
      if (this.closed) {
        closeQuietly(conn);
        return;
      }
      if (this.tls) {
        void this.#handshake(conn);
      } else {
        // TCP_NODELAY before the second write: a connection that answers once spares it.
        this.hand(new DenoConnTransport(conn, this.#infoOf(conn, null), this.#tcp));
      }
    }
  }

  /** Waits `ms` before accepting again, or until close(). */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Not unref'd: while it runs, no accept is pending to keep the program alive.
      const timer = setTimeout(resolve, ms);
      this.#endPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #handshake(conn: DenoConnLike): Promise<void> {
    this.handshakeStarted(conn, () => closeQuietly(conn));
    let alpnProtocol: string | null;
    try {
      ({ alpnProtocol } = await (conn.handshake?.() ?? { alpnProtocol: null }));
    } catch {
      // A client that failed its handshake never becomes a connection.
      closeQuietly(conn);
      return;
    } finally {
      this.handshakeEnded(conn);
    }
    if (this.closed) {
      closeQuietly(conn);
      return;
    }
    this.hand(new DenoConnTransport(conn, this.#infoOf(conn, alpnProtocol)));
  }

  #infoOf(conn: DenoConnLike, alpnProtocol: string | null): ConnectionInfo {
    const localAddr = this.localAddrOf(conn, connLocal);
    return new SocketInfo(conn, connPeer, localAddr, this.tls, alpnProtocol);
  }
}

/** Where a `Deno.Conn` was accepted (for `localAddrOf`). */
function connLocal(conn: DenoConnLike): [string | undefined, number | undefined] {
  const local = conn.localAddr as { hostname?: string; port?: number };
  return [local.hostname, local.port];
}

/** A `Deno.Conn`'s peer (it keeps the address: no system call). */
const connPeer = (conn: DenoConnLike): NetAddress => addrOf(conn.remoteAddr);

function addrOf(addr: DenoAddrLike): NetAddress {
  return "path" in addr ? unixAddr(addr.path) : tcpAddr(addr.hostname, addr.port);
}

function closeQuietly(conn: DenoConnLike): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

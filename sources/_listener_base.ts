import type { NetAddress, Transport } from "../core/transport.ts";
import type { Logger } from "../internal/logger.ts";
import type { Listener } from "./listen.ts";
import { type ResolvedListenOptions, tcpAddr } from "./_options.ts";
import { AcceptFailures, handOver } from "./_accept.ts";
import { HANDSHAKE_TIMEOUT_MS, unrefTimeout } from "./_timing.ts";

/** A transport a listener hands over, or drops if nobody takes it. */
type Accepted = Transport & { abort(): void };

/** Addresses that accept on every interface: a connection's local address is one of them. */
const WILDCARDS = new Set(["0.0.0.0", "::"]);

/**
 * What the Deno, Bun and Node listeners share, so that each behaves the same
 * way: connections accepted before `listen(accept)` wait in a backlog; a
 * callback that throws loses its connection only (reported to the logger);
 * failed accepts are sorted into a lost connection (skipped) and a failing
 * listener (backed off, reported once a run); a TLS handshake is bounded by
 * `HANDSHAKE_TIMEOUT_MS`; `close()` stops accepting, drops the backlog and
 * the handshakes under way, and leaves handed-over connections alone.
 */
export abstract class ListenerBase<T extends Accepted> implements Listener {
  abstract readonly runtime: "deno" | "bun" | "node";
  abstract readonly addr: NetAddress;
  /** Whether connections are TLS. */
  protected readonly tls: boolean;
  /** Failed accepts: skip, or back off and say so. */
  protected readonly failures: AcceptFailures;
  readonly #logger: Logger;
  #accept: ((transport: Transport) => void) | null = null;
  #listening = false;
  #backlog: T[] = [];
  #closed = false;
  /** On a wildcard address, the last local address handed out (see `localAddrOf`). */
  #local: NetAddress | null = null;
  /** Connections in their TLS handshake, with what drops each. */
  readonly #handshaking = new Map<object, { drop: () => void; stopTimer: () => void }>();

  constructor(options: ResolvedListenOptions) {
    this.tls = options.tls !== undefined;
    this.#logger = options.logger;
    this.failures = new AcceptFailures(options.logger);
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Starts handing connections to `accept`, the waiting ones first. Called once. */
  listen(accept: (transport: Transport) => void): void {
    if (this.#closed) throw new Error("the listener is closed");
    if (this.#listening) throw new Error("the listener already has an accept callback");
    this.#listening = true;
    this.#accept = accept;
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const transport of backlog) handOver(accept, transport, this.#logger);
    this.startAccepting();
  }

  /** Stops accepting; connections already handed over are not touched. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#accept = null;
    for (const transport of this.#backlog.splice(0)) transport.abort();
    for (const { drop, stopTimer } of this.#handshaking.values()) {
      stopTimer();
      drop();
    }
    this.#handshaking.clear();
    return this.stopAccepting();
  }

  /** A connection is ready: to the callback, or to the backlog until there is one. */
  protected hand(transport: T): void {
    if (this.#closed) transport.abort();
    else if (this.#accept !== null) handOver(this.#accept, transport, this.#logger);
    else this.#backlog.push(transport);
  }

  /** `key` started its TLS handshake: `drop` ends it if it has not finished in time (or at close). */
  protected handshakeStarted(key: object, drop: () => void): void {
    this.#handshaking.set(key, { drop, stopTimer: unrefTimeout(drop, HANDSHAKE_TIMEOUT_MS) });
  }

  /** `key`'s handshake is over, however it ended. */
  protected handshakeEnded(key: object): void {
    this.#handshaking.get(key)?.stopTimer();
    this.#handshaking.delete(key);
  }

  /**
   * The local address of an accepted connection. A listener bound to one
   * address (or a Unix socket) gives its own, without asking the socket; on a
   * wildcard address (`0.0.0.0`, `::`) `ask(socket)` says, and connections
   * that came to the same address share one object. Each idle connection
   * keeps less. `ask` is a function of the source's module, not a closure
   * per connection.
   */
  protected localAddrOf<S>(
    socket: S,
    ask: (socket: S) => [hostname: string | undefined, port: number | undefined],
  ): NetAddress {
    const addr = this.addr;
    if (addr.transport !== "tcp" || !WILDCARDS.has(addr.hostname)) return addr;
    const [hostname, port] = ask(socket);
    const last = this.#local;
    if (last !== null && last.hostname === hostname && last.port === port) return last;
    return this.#local = tcpAddr(hostname, port);
  }

  /** Called once `listen(accept)` has a callback (a runtime that pulls starts its loop here). */
  protected startAccepting(): void {}

  /** Closes the listening socket. */
  protected abstract stopAccepting(): Promise<void>;
}

/**
 * What a fetch handler may ask of its exchange, made only when it asks:
 * `request.signal` and `info.completed`. Most
 * handlers look at neither, so neither is made, nor the client watched,
 * unless one is read. HTTP/1.1 (`fetch_app.ts`) and HTTP/2
 * (`_fetch_h2.ts`) say how their client is watched.
 *
 * @module
 */
import type { ConnectionInfo, NetAddress } from "../core/transport.ts";
import type { SignalSource } from "./_client_signal.ts";
import type { ServeHandlerInfo } from "./types.ts";

const WRITTEN = { error: undefined };

/**
 * One exchange's `request.signal` and `info.completed`: the signal aborts,
 * and `completed` rejects, if the client goes before the response is
 * written. Neither the signal's `AbortController` nor the Promise exists
 * until asked for; a subclass's `watch()`, called then, starts watching the
 * client and calls {@linkcode Completion.clientLeft} when it goes. (One
 * class, not a signal class under it: each level of a class hierarchy cost
 * the engine about 10 ns per exchange on Bun and Deno.)
 */
export abstract class Completion implements SignalSource {
  #controller: AbortController | null = null;
  #aborted: { reason: unknown } | null = null;
  /** How the response ended: {@linkcode WRITTEN}, a failure, or `null` while under way. */
  #outcome: { error: unknown } | null = null;
  #completed: Promise<void> | null = null;
  #settle: ((outcome: { error: unknown }) => void) | null = null;

  /** `request.signal` (made now if it was not yet; already aborted if the client left). */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#aborted !== null) this.#controller.abort(this.#aborted.reason);
      else this.watch();
    }
    return this.#controller.signal;
  }

  /**
   * Called once, when the signal or `completed` is first made while the
   * client may still leave: from now on, call `clientLeft` if it does.
   */
  protected abstract watch(): void;

  /** `info.completed`, made on first use. */
  completed(): Promise<void> {
    if (this.#completed !== null) return this.#completed;
    const outcome = this.#outcome;
    if (outcome === WRITTEN) return (this.#completed = Promise.resolve());
    this.#completed = outcome !== null ? Promise.reject(outcome.error) : new Promise(
      (resolve, reject) => {
        this.#settle = ({ error }) => (error === undefined ? resolve() : reject(error));
      },
    );
    this.#completed.catch(() => {}); // a handler need not look at how it ends
    if (outcome === null) this.watch();
    return this.#completed;
  }

  /** The response was written (no argument) or could not be. */
  written(error?: unknown): void {
    this.#end(error === undefined ? WRITTEN : { error });
  }

  /** Whether the response was written: there is no client left to watch. */
  protected get isWritten(): boolean {
    return this.#outcome === WRITTEN;
  }

  /**
   * The client went before the response was complete: the signal aborts
   * (now, or when it is made), `completed` rejects.
   */
  protected clientLeft(abort: unknown, failure: Error): void {
    if (this.#aborted === null) {
      this.#aborted = { reason: abort };
      this.#controller?.abort(abort);
    }
    this.#end({ error: failure });
  }

  #end(outcome: { error: unknown }): void {
    if (this.#outcome !== null) return;
    this.#outcome = outcome;
    this.#settle?.(outcome);
  }
}

/**
 * A handler's `info`, whose `completed` (a getter on the prototype: an
 * object literal with a getter costs V8 a slow path each time) is made on
 * first read. The addresses are the connection's, read when asked: on Bun
 * the peer's costs two system calls, which a handler that never looks
 * need not pay.
 */
export class Info implements ServeHandlerInfo {
  readonly #connection: Pick<ConnectionInfo, "remoteAddr" | "localAddr">;
  readonly #completion: Completion;

  constructor(
    connection: Pick<ConnectionInfo, "remoteAddr" | "localAddr">,
    completion: Completion,
  ) {
    this.#connection = connection;
    this.#completion = completion;
  }

  get remoteAddr(): NetAddress {
    return this.#connection.remoteAddr;
  }

  get localAddr(): NetAddress {
    return this.#connection.localAddr;
  }

  get completed(): Promise<void> {
    return this.#completion.completed();
  }
}

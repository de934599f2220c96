import type { ThreadGenerator } from "../scheduler/mod.ts";

/**
 * One request handed to the main thread by a worker that owns its
 * connection (worker mode): what the core needs to know of it. The full
 * main-thread API is `Shuttle` in `workers/`.
 *
 * @example
 * ```ts
 * import type { ShuttleLike } from "@hussar/core/core";
 * const shuttle: ShuttleLike = { id: 1, abort: (reason) => console.log(`aborted: ${reason}`) };
 * shuttle.abort("server closing"); // aborted: server closing
 * ```
 */
export interface ShuttleLike {
  /** Unique among the shuttles of one source. */
  readonly id: number;
  /** Ends the exchange at once: the worker drops the connection, the handler's signal aborts. */
  abort(reason: string): void;
  /**
   * Aborts when the exchange ends early (the client is gone, or `abort()`):
   * a thread that has not finished `graceMs` later is ended by the core, as
   * a connection's thread is once its connection closed.
   */
  readonly signal?: AbortSignal;
}

/**
 * Where shuttles come from (a worker pool), as a {@linkcode Source} is where
 * connections come from.
 *
 * @example
 * ```ts
 * import { Hussar, type ShuttleLike, type ShuttleSource } from "@hussar/core/core";
 * const handed: ShuttleLike[] = [{ id: 1, abort() {} }];
 * const source: ShuttleSource<ShuttleLike> = {
 *   listen(accept) { for (const shuttle of handed) accept(shuttle); },
 *   close: () => Promise.resolve(),
 * };
 * const hussar = new Hussar({ handler() { throw new Error("no connections here"); } });
 * await hussar.attachShuttles(source, async (shuttle) => console.log(`shuttle #${shuttle.id}`));
 * await hussar.whenEmpty(); // shuttle #1
 * await hussar.close();
 * ```
 */
export interface ShuttleSource<S extends ShuttleLike> {
  /** Starts handing each shuttle to `accept`. Called once. */
  listen(accept: (shuttle: S) => void): void | Promise<void>;
  /** Stops producing shuttles; those already handed over are not touched. */
  close(): Promise<void>;
}

/** Serves one shuttle: a thread body (generator) or a Promise, as a connection handler is. */
export type ShuttleHandler<S extends ShuttleLike> = (
  shuttle: S,
) => ThreadGenerator | PromiseLike<unknown>;

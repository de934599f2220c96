import type { Hussar } from "../core/hussar.ts";

/**
 * The graceful half of a shutdown, once the sources are detached: closes the
 * connections on which nothing of a request has arrived (idle keep-alive
 * ones, new ones still silent), which loses nothing, and resolves once every
 * other connection has finished its exchange and ended. The connections the
 * engine serves close after their exchange when its `shutdown` signal has
 * aborted (see `HttpServerOptions.shutdown`).
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { drainConnections, httpHandler } from "@hussar/core/httputil";
 * import { FakeSource } from "@hussar/core/sources";
 * const shutdown = new AbortController();
 * const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "hi" }), { shutdown: shutdown.signal }) });
 * const source = new FakeSource();
 * hussar.attachSource(source);
 * source.connect(); // a client that says nothing
 * shutdown.abort();
 * await hussar.detachSource(source);
 * await drainConnections(hussar);
 * console.log(hussar.connectionCount); // 0
 * await hussar.close();
 * ```
 */
export async function drainConnections(hussar: Hussar): Promise<void> {
  for (const { connection } of hussar.descriptors()) {
    if (connection.phase === "idle" || connection.phase === "waiting") {
      connection.close("server shutting down");
    }
  }
  await hussar.whenEmpty();
}

/**
 * The engine's side of a protocol upgrade (the registry is
 * internal/upgrade.ts): the 101 response that hands the connection over, and
 * the connection as the byte duplex a new protocol runs over.
 *
 * @module
 */
import type { Connection } from "../core/connection.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import type { PendingUpgrade } from "../internal/upgrade.ts";
import type { ByteDuplex } from "../websocket/duplex.ts";

/** The 101 for the HTTP engine: no body, then the connection goes to `pending`. */
export function upgradeResponse(
  pending: PendingUpgrade,
  onWritten: (error?: unknown) => void,
): HttpResponse {
  return {
    status: 101,
    headers: pending.response.headers,
    body: null,
    onWritten(error?: unknown) {
      if (error !== undefined) pending.cancel("the 101 response could not be written");
      onWritten(error);
    },
    upgrade: (conn, { shutdown }) => pending.start(connectionDuplex(conn), shutdown),
  };
}

/** A hussar connection as a byte duplex, through its Promise-based methods. */
export function connectionDuplex(conn: Connection): ByteDuplex {
  return {
    read: () => conn.readAndWait(),
    write: (bytes) => conn.write(bytes),
    get bufferedAmount() {
      return conn.bufferedAmount;
    },
    highWaterMark: conn.highWaterMark,
    drained: () => conn.writeAndWait(EMPTY),
    close: () => conn.close("WebSocket closed"),
    abort: (reason) => conn.abort(reason),
  };
}

const EMPTY = new Uint8Array(0);

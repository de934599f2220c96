import { claimUpgrade, type PendingUpgrade } from "../internal/upgrade.ts";
import { CANCEL, RUN } from "./_socket_slots.ts";
import { acceptKey, checkHandshake, selectProtocol } from "./_handshake.ts";
import { WebSocketUpgradeError } from "./errors.ts";
import { UpgradedWebSocket } from "./web_socket.ts";

/**
 * Options of {@linkcode upgradeWebSocket}: Deno's (`protocol`,
 * `idleTimeout` in seconds) plus limits.
 */
export interface UpgradeWebSocketOptions {
  /**
   * Subprotocol(s) the server speaks, in order of preference: the first one
   * the client offered in `Sec-WebSocket-Protocol` is chosen
   * (`socket.protocol`); if none matches, none is answered.
   */
  protocol?: string | readonly string[];
  /**
   * Seconds of silence after which the peer is pinged; if it stays silent as
   * long again, the connection is dropped (close 1006). Default 30; 0 turns
   * it off.
   */
  idleTimeout?: number;
  /** Largest incoming message (and frame) in bytes; bigger is closed with 1009. Default 1 MiB. */
  maxMessageSize?: number;
  /**
   * Bytes allowed to wait for a slow peer (`bufferedAmount`); past it the
   * connection is dropped (close 1006). Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /** Milliseconds to wait for the peer's close frame after ours. Default 5000. */
  closeTimeoutMs?: number;
}

/** What {@linkcode upgradeWebSocket} returns. */
export interface WebSocketUpgrade {
  /** The server end of the WebSocket; it opens once `response` has been written. */
  socket: UpgradedWebSocket;
  /** The 101 Switching Protocols response: return it from the fetch handler. */
  response: Response;
}

/**
 * The defaults of {@linkcode UpgradeWebSocketOptions}.
 *
 * @example
 * ```ts
 * import { DEFAULT_WEBSOCKET_OPTIONS } from "@hussar/core/websocket";
 * console.log(DEFAULT_WEBSOCKET_OPTIONS.maxMessageSize); // 1048576
 * ```
 */
export const DEFAULT_WEBSOCKET_OPTIONS: Readonly<{
  idleTimeout: number;
  maxMessageSize: number;
  maxBufferedAmount: number;
  closeTimeoutMs: number;
}> = Object.freeze({
  idleTimeout: 30,
  maxMessageSize: 1024 * 1024,
  maxBufferedAmount: 16 * 1024 * 1024,
  closeTimeoutMs: 5000,
});

/**
 * A `Response` that reports status 101: the Fetch `Response` constructor
 * refuses statuses below 200, so the status is answered by the getter.
 */
class SwitchingProtocolsResponse extends Response {
  override get status(): number {
    return 101;
  }
  override get statusText(): string {
    return "Switching Protocols";
  }
  override get ok(): boolean {
    return false;
  }
}

/**
 * Upgrades a request received by `serve()` to a WebSocket (RFC 6455), as
 * `Deno.upgradeWebSocket` does: returns the socket and the 101 response
 * the handler must return. Throws {@linkcode WebSocketUpgradeError} (with
 * the status to answer: 400, 405 or 426) for a bad handshake, and
 * `TypeError` for a request that did not come from `serve()`.
 *
 * No extension is negotiated (no permessage-deflate): messages travel
 * uncompressed.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * import { upgradeWebSocket, WebSocketUpgradeError } from "@hussar/core/websocket";
 * const server = serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
 *   try {
 *     const { socket, response } = upgradeWebSocket(request, { protocol: "chat" });
 *     socket.onopen = () => socket.send(`welcome, you speak "${socket.protocol}"`);
 *     return response;
 *   } catch (error) {
 *     if (error instanceof WebSocketUpgradeError) return error.toResponse();
 *     throw error;
 *   }
 * });
 * await server.ready;
 * console.log((await fetch(server.url)).status); // 400: not a WebSocket handshake
 * await server.shutdown();
 * ```
 */
export function upgradeWebSocket(
  request: Request,
  options: UpgradeWebSocketOptions = {},
): WebSocketUpgrade {
  const handshake = checkHandshake(request);
  const protocol = selectProtocol(handshake.protocols, options.protocol);
  const url = new URL(request.url);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new UpgradedWebSocket({
    url: url.href,
    protocol,
    maxMessageSize: positive(options.maxMessageSize, "maxMessageSize") ??
      DEFAULT_WEBSOCKET_OPTIONS.maxMessageSize,
    maxBufferedAmount: positive(options.maxBufferedAmount, "maxBufferedAmount") ??
      DEFAULT_WEBSOCKET_OPTIONS.maxBufferedAmount,
    idleTimeoutMs: (nonNegative(options.idleTimeout, "idleTimeout") ??
      DEFAULT_WEBSOCKET_OPTIONS.idleTimeout) * 1000,
    closeTimeoutMs: positive(options.closeTimeoutMs, "closeTimeoutMs") ??
      DEFAULT_WEBSOCKET_OPTIONS.closeTimeoutMs,
  });
  const headers: Record<string, string> = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-accept": acceptKey(handshake.key),
  };
  if (protocol !== "") headers["sec-websocket-protocol"] = protocol;
  const response = new SwitchingProtocolsResponse(null, { headers });
  const pending: PendingUpgrade = {
    response,
    start: (duplex, shutdown) => socket[RUN](duplex, shutdown),
    cancel: (reason) => socket[CANCEL](reason),
  };
  const refusal = claimUpgrade(request, pending);
  if (refusal !== null) {
    if (refusal.includes("HTTP/1.1")) throw new WebSocketUpgradeError(refusal);
    throw new TypeError(`upgradeWebSocket: ${refusal}`);
  }
  return { socket, response };
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !(value > 0)) {
    throw new RangeError(`${name} must be a positive number, not ${value}`);
  }
  return value;
}

function nonNegative(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !(value >= 0)) {
    throw new RangeError(`${name} must be 0 or more, not ${value}`);
  }
  return value;
}

import { claimUpgrade, type PendingUpgrade } from "../internal/upgrade.ts";
import { negotiateDeflate } from "./_deflate.ts";
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
  /**
   * permessage-deflate (RFC 7692), accepted when the client offers it:
   * `true` (the default) with the defaults, `false` to decline every
   * offer, or settings. `maxMessageSize` limits the inflated size.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/**
 * Settings of permessage-deflate (RFC 7692 §7.1). Memory kept per
 * connection between messages: the history of each direction that keeps
 * its context, 2^serverMaxWindowBits + 2^clientMaxWindowBits bytes at
 * most (64 KiB with the defaults); zlib's own state lives only during a
 * call.
 *
 * @example
 * ```ts
 * import type { PerMessageDeflateOptions } from "@hussar/core/websocket";
 * const small: PerMessageDeflateOptions = { serverMaxWindowBits: 10, clientMaxWindowBits: 10 };
 * console.log(small.serverMaxWindowBits); // 10
 * ```
 */
export interface PerMessageDeflateOptions {
  /** Messages of fewer bytes than this go uncompressed. Default 1024. */
  threshold?: number;
  /** Compress each message on its own, keeping no history (`server_no_context_takeover`). Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client to do so too (`client_no_context_takeover`). Default false. */
  clientNoContextTakeover?: boolean;
  /** LZ77 window of the server's compressor, 9-15 (a client may ask for less). Default 15. */
  serverMaxWindowBits?: number;
  /**
   * Largest window the client may compress with, 9-15; below 15 a client
   * that cannot limit its window (no `client_max_window_bits` in its
   * offer) gets no compression. Default 15.
   */
  clientMaxWindowBits?: number;
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
  perMessageDeflate: Readonly<Required<PerMessageDeflateOptions>>;
}> = Object.freeze({
  idleTimeout: 30,
  maxMessageSize: 1024 * 1024,
  maxBufferedAmount: 16 * 1024 * 1024,
  closeTimeoutMs: 5000,
  perMessageDeflate: Object.freeze({
    threshold: 1024,
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  }),
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
 * permessage-deflate is accepted when the client offers it (option
 * `perMessageDeflate`); the answer's `Sec-WebSocket-Extensions` says
 * with which parameters, as does `socket.extensions`.
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
  const deflate = deflateOptions(options.perMessageDeflate);
  const agreement = deflate === null
    ? null
    : negotiateDeflate(request.headers.get("sec-websocket-extensions"), deflate);
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
    deflate: agreement === null ? null : { ...agreement, threshold: deflate!.threshold },
  });
  const headers: Record<string, string> = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-accept": acceptKey(handshake.key),
  };
  if (protocol !== "") headers["sec-websocket-protocol"] = protocol;
  if (agreement !== null) headers["sec-websocket-extensions"] = agreement.header;
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

/** Resolves the `perMessageDeflate` option; null when off. */
function deflateOptions(
  option: boolean | PerMessageDeflateOptions | undefined,
): Required<PerMessageDeflateOptions> | null {
  if (option === false) return null;
  const defaults = DEFAULT_WEBSOCKET_OPTIONS.perMessageDeflate;
  if (option === undefined || option === true) return defaults;
  return {
    threshold: nonNegative(option.threshold, "perMessageDeflate.threshold") ?? defaults.threshold,
    serverNoContextTakeover: option.serverNoContextTakeover ?? defaults.serverNoContextTakeover,
    clientNoContextTakeover: option.clientNoContextTakeover ?? defaults.clientNoContextTakeover,
    serverMaxWindowBits: windowBits(option.serverMaxWindowBits, "serverMaxWindowBits") ??
      defaults.serverMaxWindowBits,
    clientMaxWindowBits: windowBits(option.clientMaxWindowBits, "clientMaxWindowBits") ??
      defaults.clientMaxWindowBits,
  };
}

function windowBits(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= 9 && value <= 15)) {
    throw new RangeError(`perMessageDeflate.${name} must be an integer from 9 to 15, not ${value}`);
  }
  return value;
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

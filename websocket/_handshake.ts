/** RFC 6455 §4.2: checking a client's opening handshake and computing the server's answer. */
import { sha1 } from "./_sha1.ts";
import { WebSocketUpgradeError } from "./errors.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/; // base64 of exactly 16 bytes

/** What a valid handshake yields. */
export interface Handshake {
  /** The client's `Sec-WebSocket-Key`. */
  key: string;
  /** The subprotocols the client offered, in its order. */
  protocols: string[];
}

/** Splits a comma-separated header value into trimmed, non-empty tokens. */
export function tokens(value: string | null): string[] {
  if (value === null) return [];
  return value.split(",").map((token) => token.trim()).filter((token) => token !== "");
}

/** Checks an opening handshake; throws {@linkcode WebSocketUpgradeError} naming the problem. */
export function checkHandshake(request: Request): Handshake {
  if (request.method !== "GET") {
    throw new WebSocketUpgradeError(
      `a WebSocket handshake must be a GET, not ${request.method}`,
      405,
      { allow: "GET" },
    );
  }
  const headers = request.headers;
  if (!tokens(headers.get("upgrade")).some((t) => t.toLowerCase() === "websocket")) {
    throw new WebSocketUpgradeError('missing "Upgrade: websocket" header');
  }
  if (!tokens(headers.get("connection")).some((t) => t.toLowerCase() === "upgrade")) {
    throw new WebSocketUpgradeError('missing "upgrade" in the Connection header');
  }
  const version = headers.get("sec-websocket-version");
  if (version?.trim() !== "13") {
    throw new WebSocketUpgradeError(
      version === null
        ? "missing Sec-WebSocket-Version header"
        : `unsupported WebSocket version ${JSON.stringify(version)}: only 13 is`,
      426,
      { "sec-websocket-version": "13" },
    );
  }
  const key = headers.get("sec-websocket-key")?.trim() ?? null;
  if (key === null) throw new WebSocketUpgradeError("missing Sec-WebSocket-Key header");
  if (!KEY.test(key)) {
    throw new WebSocketUpgradeError("Sec-WebSocket-Key must be the base64 of 16 bytes");
  }
  return { key, protocols: tokens(headers.get("sec-websocket-protocol")) };
}

/** `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  const digest = sha1(new TextEncoder().encode(key + GUID));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The subprotocol to answer with: the first of the server's choices
 * (in its order of preference) that the client offered, or "".
 */
export function selectProtocol(
  offered: readonly string[],
  supported: string | readonly string[] | undefined,
): string {
  if (supported === undefined) return "";
  const choices = typeof supported === "string" ? [supported] : supported;
  return choices.find((choice) => offered.includes(choice)) ?? "";
}

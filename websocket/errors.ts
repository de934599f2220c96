/**
 * Why a request could not be upgraded to a WebSocket, with the HTTP answer
 * it deserves: thrown by `upgradeWebSocket()`; return
 * {@linkcode WebSocketUpgradeError.toResponse} from the handler.
 *
 * @example
 * ```ts
 * import { upgradeWebSocket, WebSocketUpgradeError } from "@hussar/core/websocket";
 * try {
 *   upgradeWebSocket(new Request("http://localhost/chat")); // no Upgrade header
 * } catch (error) {
 *   if (!(error instanceof WebSocketUpgradeError)) throw error;
 *   const response = error.toResponse();
 *   console.log(response.status, error.message); // 400 missing "Upgrade: websocket" header
 * }
 * ```
 */
export class WebSocketUpgradeError extends Error {
  /** The HTTP status to answer with: 400 bad handshake, 405 not GET, 426 unsupported version. */
  readonly status: number;
  /** Header fields for the answer (`Allow`, `Sec-WebSocket-Version`). */
  readonly headers: Readonly<Record<string, string>>;

  /** Creates the error; `message` says what is wrong with the request. */
  constructor(message: string, status = 400, headers: Record<string, string> = {}) {
    super(message);
    this.name = "WebSocketUpgradeError";
    this.status = status;
    this.headers = headers;
  }

  /** A plain-text response carrying the status, the headers and the message. */
  toResponse(): Response {
    return new Response(`${this.message}\n`, {
      status: this.status,
      headers: { "content-type": "text/plain; charset=utf-8", ...this.headers },
    });
  }
}

/**
 * HTTP/2 error codes (RFC 9113 §7) and the typed errors the HTTP/2 modules
 * throw: each says which code to send and whether it ends one stream
 * (RST_STREAM) or the whole connection (GOAWAY).
 *
 * @module
 */

/**
 * The error codes of RFC 9113 §7, as sent in RST_STREAM and GOAWAY.
 *
 * @example
 * ```ts
 * import { ErrorCode } from "@hussar/core/http2";
 * console.log(ErrorCode.PROTOCOL_ERROR, ErrorCode.ENHANCE_YOUR_CALM); // 1 11
 * ```
 */
export const ErrorCode: {
  readonly NO_ERROR: 0x0;
  readonly PROTOCOL_ERROR: 0x1;
  readonly INTERNAL_ERROR: 0x2;
  readonly FLOW_CONTROL_ERROR: 0x3;
  readonly SETTINGS_TIMEOUT: 0x4;
  readonly STREAM_CLOSED: 0x5;
  readonly FRAME_SIZE_ERROR: 0x6;
  readonly REFUSED_STREAM: 0x7;
  readonly CANCEL: 0x8;
  readonly COMPRESSION_ERROR: 0x9;
  readonly CONNECT_ERROR: 0xa;
  readonly ENHANCE_YOUR_CALM: 0xb;
  readonly INADEQUATE_SECURITY: 0xc;
  readonly HTTP_1_1_REQUIRED: 0xd;
} = Object.freeze({
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
});

const NAMES: readonly string[] = Object.keys(ErrorCode);

/**
 * The name of an error code, or `0x..` for a code RFC 9113 does not define
 * (§7: unknown codes must not trigger special behaviour, but may be shown).
 *
 * @example
 * ```ts
 * import { errorCodeName } from "@hussar/core/http2";
 * console.log(errorCodeName(9), errorCodeName(0x42)); // COMPRESSION_ERROR 0x42
 * ```
 */
export function errorCodeName(code: number): string {
  return code >= 0 && code < NAMES.length ? NAMES[code] : `0x${code.toString(16)}`;
}

/**
 * A violation of HTTP/2 found in what the peer sent. A connection error
 * (`scope === "connection"`) is answered with GOAWAY carrying
 * {@linkcode Http2Error.code} and the connection is closed (RFC 9113
 * §5.4.1); a stream error is answered with RST_STREAM on
 * {@linkcode Http2Error.streamId} and the connection goes on (§5.4.2).
 *
 * @example
 * ```ts
 * import { ErrorCode, Http2Error } from "@hussar/core/http2";
 * const error = new Http2Error(ErrorCode.FRAME_SIZE_ERROR, "connection", "PING must be 8 octets");
 * console.log(error.message); // FRAME_SIZE_ERROR: PING must be 8 octets
 * ```
 */
export class Http2Error extends Error {
  /** The RFC 9113 §7 error code to send. */
  readonly code: number;
  /** Whether the error ends one stream or the whole connection. */
  readonly scope: "stream" | "connection";
  /**
   * The stream concerned; 0 for a connection error, or when the caller
   * knows the stream (header validation does not).
   */
  readonly streamId: number;
  /**
   * For a malformed request, the status a server may answer with before
   * resetting the stream (RFC 9113 §8.1.1): 400, 414 or 431; else 0.
   */
  readonly status: number;

  /** Creates an error with `code`, ending a stream or the connection. */
  constructor(
    code: number,
    scope: "stream" | "connection",
    reason: string,
    streamId = 0,
    status = 0,
  ) {
    super(`${errorCodeName(code)}: ${reason}`);
    this.name = "Http2Error";
    this.code = code;
    this.scope = scope;
    this.streamId = streamId;
    this.status = status;
  }
}

/**
 * A header block that cannot be decoded (RFC 7541): the HPACK state of the
 * connection is then unknown, so it is always a connection error of type
 * COMPRESSION_ERROR (RFC 9113 §4.3).
 *
 * @example
 * ```ts
 * import { CompressionError } from "@hussar/core/http2";
 * const error = new CompressionError("index 70 is not in the table");
 * console.log(error.code, error.scope); // 9 connection
 * ```
 */
export class CompressionError extends Http2Error {
  /** Creates the error; `reason` says what was wrong with the block. */
  constructor(reason: string) {
    super(ErrorCode.COMPRESSION_ERROR, "connection", reason);
    this.name = "CompressionError";
  }
}

/**
 * A header list larger than SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 §6.5.2,
 * name + value + 32 octets per field), or with more fields than allowed.
 * Raised once the block is decoded to its end, so the HPACK state is intact
 * and only the stream fails: the server answers 431 (§10.5.1) or resets the
 * stream with {@linkcode Http2Error.code}.
 *
 * @example
 * ```ts
 * import { HeaderListTooLargeError } from "@hussar/core/http2";
 * const error = new HeaderListTooLargeError("header list larger than 16384 octets");
 * console.log(error.status, error.scope); // 431 stream
 * ```
 */
export class HeaderListTooLargeError extends Http2Error {
  /** Creates the error; `reason` says which limit was passed. */
  constructor(reason: string, streamId = 0) {
    super(ErrorCode.PROTOCOL_ERROR, "stream", reason, streamId, 431);
    this.name = "HeaderListTooLargeError";
  }
}

/**
 * Errors raised by the HTTP toolkit.
 *
 * @module
 */

/**
 * A request that violates HTTP/1.1 or a configured limit. The server answers
 * it with {@linkcode HttpError.status} and a short reason, then closes the
 * connection: nothing read after a protocol error is trusted.
 *
 * @example
 * ```ts
 * import { HttpError } from "@hussar/core/httputil";
 * const error = new HttpError(431, "header section too large");
 * console.log(error.status, error.message);
 * ```
 */
export class HttpError extends Error {
  /** Status code to answer with (4xx or 5xx). */
  readonly status: number;

  /** Creates an error answered with `status`; `reason` becomes the message. */
  constructor(status: number, reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = "HttpError";
    this.status = status;
  }
}

/**
 * A header name or value that must not be written: not a token name, or a
 * value with CR, LF or NUL. Thrown before any byte of the message is written,
 * so a response can never be split or smuggled by handler input.
 *
 * @example
 * ```ts
 * import { InvalidHeaderError } from "@hussar/core/httputil";
 * const error = new InvalidHeaderError("x-a", "bad\r\nvalue");
 * console.log(error.message);
 * ```
 */
export class InvalidHeaderError extends TypeError {
  /** The offending header name, as given. */
  readonly headerName: string;

  /** Creates the error for header `name` (and `value`, when the value is at fault). */
  constructor(name: string, value?: string) {
    super(
      value === undefined
        ? `invalid header name ${JSON.stringify(name)}: not an HTTP token`
        : `invalid value for header ${JSON.stringify(name)}: CR, LF and NUL are not allowed`,
    );
    this.name = "InvalidHeaderError";
    this.headerName = name;
  }
}

/**
 * The HTTP status code registry (IANA, as of RFC 9110 and later
 * registrations) with its reason phrases.
 *
 * @module
 */

/**
 * Reason phrase of every registered status code. 306 and 418 are registered
 * as "(Unused)": they have no phrase and are left out. The table behind
 * {@linkcode code2status} and {@linkcode status2code}, which are what
 * `@hussar/core/httputil` exports (one name per concept).
 */
export const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({
  100: "Continue",
  101: "Switching Protocols",
  102: "Processing",
  103: "Early Hints",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  207: "Multi-Status",
  208: "Already Reported",
  226: "IM Used",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  305: "Use Proxy",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  423: "Locked",
  424: "Failed Dependency",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  506: "Variant Also Negotiates",
  507: "Insufficient Storage",
  508: "Loop Detected",
  510: "Not Extended",
  511: "Network Authentication Required",
});

const BY_PHRASE = new Map(
  Object.entries(STATUS_TEXT).map(([code, text]) => [text.toLowerCase(), Number(code)]),
);

/**
 * The reason phrase of `code`; `""` for a valid but unregistered code
 * (HTTP/1.1 allows an empty reason phrase). Throws `RangeError` outside
 * 100-599.
 *
 * @example
 * ```ts
 * import { code2status } from "@hussar/core/httputil";
 * console.log(code2status(404)); // Not Found
 * console.log(JSON.stringify(code2status(299))); // ""
 * ```
 */
export function code2status(code: number): string {
  if (!Number.isInteger(code) || code < 100 || code > 599) {
    throw new RangeError(`invalid HTTP status code: ${code}`);
  }
  return STATUS_TEXT[code] ?? "";
}

/**
 * The code of a registered reason phrase (case-insensitive). Throws
 * `RangeError` for an unknown phrase.
 *
 * @example
 * ```ts
 * import { status2code } from "@hussar/core/httputil";
 * console.log(status2code("not found")); // 404
 * ```
 */
export function status2code(phrase: string): number {
  const code = BY_PHRASE.get(phrase.trim().toLowerCase());
  if (code === undefined) {
    throw new RangeError(`unknown HTTP status phrase: ${JSON.stringify(phrase)}`);
  }
  return code;
}

/**
 * Whether a response with this status never has content (RFC 9110 §6.4.1):
 * 1xx, 204 and 304. (205 must have an empty body but may frame it with
 * `Content-Length: 0`, so it is not in this set.)
 *
 * @example
 * ```ts
 * import { isNullBodyStatus } from "@hussar/core/httputil";
 * console.log(isNullBodyStatus(204), isNullBodyStatus(200)); // true false
 * ```
 */
export function isNullBodyStatus(code: number): boolean {
  return (code >= 100 && code < 200) || code === 204 || code === 304;
}

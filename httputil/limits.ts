/**
 * Size limits applied while parsing a request head.
 *
 * @module
 */

/**
 * Limits on a request head. Each is enforced as soon as the bytes seen exceed
 * it, not when the head is complete, so a client cannot make the server
 * buffer more than the limit.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSE_LIMITS, type ParseLimits } from "@hussar/core/httputil";
 * const limits: ParseLimits = { ...DEFAULT_PARSE_LIMITS, maxUriLength: 2048 };
 * console.log(limits.maxHeadBytes); // 16384
 * ```
 */
export interface ParseLimits {
  /**
   * Bytes of the whole head: skipped empty lines, request line, header
   * fields and the final empty line. Beyond it: 431.
   */
  maxHeadBytes: number;
  /** Header field lines in one head. Beyond it: 431. */
  maxHeaderCount: number;
  /** Bytes of the request-target. Beyond it: 414. */
  maxUriLength: number;
}

/**
 * The limits used when none are given: 16 KiB of head, 100 fields, 8 KiB of
 * request-target (RFC 9112 §3 recommends supporting at least 8000 octets).
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSE_LIMITS } from "@hussar/core/httputil";
 * console.log(DEFAULT_PARSE_LIMITS.maxUriLength); // 8192
 * ```
 */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxHeadBytes: 16384,
  maxHeaderCount: 100,
  maxUriLength: 8192,
});

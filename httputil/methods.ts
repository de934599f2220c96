/**
 * The request methods served unless configured otherwise: the RFC 9110
 * methods that need no tunnel, plus PATCH. CONNECT (a tunnel, not served
 * here) and TRACE (which reflects requests back, a header-leak risk) are
 * left out; other methods get 501 Not Implemented.
 *
 * @example
 * ```ts
 * import { defaultMethods } from "@hussar/core/httputil";
 * console.log(defaultMethods.includes("PATCH")); // true
 * ```
 */
export const defaultMethods: readonly string[] = Object.freeze([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "OPTIONS",
  "PATCH",
]);

const DEFAULT_SET = new Set(defaultMethods);

/**
 * Whether `method` (case-sensitive, as methods are) is a default method.
 *
 * @example
 * ```ts
 * import { isDefaultMethod } from "@hussar/core/httputil";
 * console.log(isDefaultMethod("GET"), isDefaultMethod("get")); // true false
 * ```
 */
export function isDefaultMethod(method: string): boolean {
  return DEFAULT_SET.has(method);
}

/** The methods RFC 9110 defines (§9.3) and PATCH (RFC 5789). */
const STANDARD_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
]);

/**
 * Whether HTTP defines `method` (RFC 9110 §9.3, and PATCH): a server that
 * does not serve it answers 405 with `Allow`; any other method is 501.
 *
 * @example
 * ```ts
 * import { isStandardMethod } from "@hussar/core/httputil";
 * console.log(isStandardMethod("TRACE"), isStandardMethod("BREW")); // true false
 * ```
 */
export function isStandardMethod(method: string): boolean {
  return STANDARD_METHODS.has(method);
}

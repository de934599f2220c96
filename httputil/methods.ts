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

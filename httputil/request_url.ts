import type { ConnectionInfo } from "../core/transport.ts";
import type { RequestHead } from "./parse.ts";
import { fieldValue } from "../internal/header_fill.ts";

/**
 * The absolute URL of a request, for a Web `Request` (RFC 9112 §3.3):
 * absolute-form targets as they are, others against the Host header (or, for
 * an HTTP/1.0 request without one, the address the connection arrived on).
 *
 * @example
 * ```ts
 * import { HeaderList, requestUrl } from "@hussar/core/httputil";
 * const info = {
 *   tls: false,
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
 *   localAddr: { transport: "tcp", hostname: "127.0.0.1", port: 8000 },
 * } as const;
 * const headers = new HeaderList({ host: "example.com" });
 * console.log(requestUrl({ target: "/a?b", headers }, info)); // http://example.com/a?b
 * ```
 */
export function requestUrl(
  head: Pick<RequestHead, "target" | "headers">,
  info: ConnectionInfo,
): string {
  const { target, headers } = head;
  const scheme = info.tls ? "https" : "http";
  // Absolute-form wins over Host (RFC 9112 §3.2.2); HTTP/1.0 may lack a Host.
  if (target[0] !== "/" && /^https?:\/\//i.test(target)) return target;
  const local = info.localAddr;
  const host = fieldValue(headers, "host") ??
    (local.transport === "tcp"
      ? `${local.hostname.includes(":") ? `[${local.hostname}]` : local.hostname}:${local.port}`
      : "localhost");
  if (target === "*") return `${scheme}://${host}/*`;
  if (target[0] !== "/") return `${scheme}://${target}/`; // authority-form (CONNECT)
  return `${scheme}://${host}${target}`;
}

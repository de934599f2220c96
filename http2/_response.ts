/**
 * The response as the HTTP/2 session writes it: its field list (RFC 9113
 * §8.2.2, §8.3.2) and the plain answers the session gives itself.
 *
 * @module
 */

import { httpDate, type HttpResponse } from "../httputil/mod.ts";

/** A response body being streamed. */
export type StreamedBody = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export function cancelBody(body: StreamedBody): void {
  if (body instanceof ReadableStream) body.cancel().catch(() => {});
  else body[Symbol.asyncIterator]().return?.().then(undefined, () => {});
}

// §8.2.2: fields that mean something for one HTTP/1.1 connection only.
const CONNECTION_FIELDS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The response's field list, flat (`[name, value, ...]`) into `out`:
 * `:status`, the app's fields (names lower-case, connection-specific ones
 * dropped, §8.2.2), Content-Length when the body's `length` is known (not
 * null), and Date unless given.
 */
export function responseFields(
  status: number,
  headers: HttpResponse["headers"],
  length: number | null,
  out: string[] = [],
): string[] {
  out.push(":status", String(status));
  const known = length !== null;
  let date = false;
  const pairs: Iterable<readonly [string, string]> = headers === undefined
    ? []
    : Symbol.iterator in headers
    ? headers as Iterable<readonly [string, string]>
    : Object.entries(headers);
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (CONNECTION_FIELDS.has(lower)) continue;
    if (lower === "content-length" && known) continue;
    if (lower === "date") date = true;
    out.push(lower, value);
  }
  if (known) out.push("content-length", String(length));
  if (!date) out.push("date", httpDate());
  return out;
}

/** A plain-text response for a status the session answers itself. */
export function errorResponse(
  status: number,
  reason: string,
  headers: [string, string][] = [],
): HttpResponse {
  return {
    status,
    headers: [["content-type", "text/plain; charset=utf-8"], ...headers],
    body: `${reason}\n`,
  };
}

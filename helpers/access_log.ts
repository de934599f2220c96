/**
 * An access log in the Common Log Format, as a fetch-handler wrapper.
 *
 * @module
 */

/**
 * Options of {@linkcode accessLog}.
 *
 * @example
 * ```ts
 * import type { AccessLogOptions } from "@hussar/core/helpers";
 * const lines: string[] = [];
 * const options: AccessLogOptions = { write: (line) => lines.push(line), now: () => 0 };
 * console.log(typeof options.write); // function
 * ```
 */
export interface AccessLogOptions {
  /** Receives each line, without a newline (default: `console.log`). */
  write?: (line: string) => void;
  /** The clock, in milliseconds since the epoch (default `Date.now`); read when a request arrives. */
  now?: () => number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number): string => String(n).padStart(2, "0");

/**
 * A Common Log Format timestamp, `10/Oct/2000:13:55:36 +0000`, always in
 * UTC so lines do not depend on the host's time zone.
 *
 * @example
 * ```ts
 * import { clfDate } from "@hussar/core/helpers";
 * console.log(clfDate(971186136000)); // 10/Oct/2000:13:55:36 +0000
 * ```
 */
export function clfDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${
    pad(d.getUTCHours())
  }:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Escapes what would break a log line's fields: quotes, backslashes, controls and (bare) spaces. */
function escape(text: string, spaces: boolean): string {
  return text.replace(
    // deno-lint-ignore no-control-regex -- control characters are exactly what is escaped
    spaces ? /["\\\x00-\x20\x7f]/g : /["\\\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** The user name of `Authorization: Basic`, else `-`. */
function authUser(request: Request): string {
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (match === null) return "-";
  try {
    const decoded = atob(match[1]);
    const user = decoded.slice(0, decoded.indexOf(":") === -1 ? undefined : decoded.indexOf(":"));
    return user === "" ? "-" : escape(user, true);
  } catch {
    return "-";
  }
}

function remoteHost(info: unknown): string {
  const host = (info as { remoteAddr?: { hostname?: unknown } } | undefined)?.remoteAddr?.hostname;
  return typeof host === "string" && host !== "" ? escape(host, true) : "-";
}

/** Counts the bytes of `body` as they go through; `done(count)` once it ends or is cancelled. */
function counted(
  body: ReadableStream<Uint8Array>,
  done: (count: number) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let count = 0;
  let reported = false;
  const report = (): void => {
    if (!reported) done(count);
    reported = true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const step = await reader.read();
        if (step.done) {
          report();
          controller.close();
          return;
        }
        count += step.value.byteLength;
        controller.enqueue(step.value);
      } catch (error) {
        report();
        controller.error(error);
      }
    },
    cancel(reason) {
      report();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Wraps a fetch handler to log one Common Log Format line per request:
 * `host ident authuser [date] "request-line" status bytes`. `host` is
 * `info.remoteAddr.hostname` (as `serve()` gives it), `ident` is always
 * `-`, `authuser` is the user of Basic authentication, `date` is when the
 * request arrived. The request line is rebuilt from the `Request`, which
 * carries no protocol version: it always says `HTTP/1.1`. `bytes` is the
 * body's `Content-Length`, or the bytes counted as a streaming body is
 * read, the line being written when it ends (or is cancelled); `-` for no
 * body. A handler that throws is logged with status 500 and its error
 * rethrown.
 *
 * @example
 * ```ts
 * import { accessLog } from "@hussar/core/helpers";
 * const handler = accessLog(() => new Response("hello", { headers: { "content-length": "5" } }), {
 *   now: () => Date.UTC(2000, 9, 10, 13, 55, 36),
 * });
 * await handler(new Request("http://x/a?b=1"), { remoteAddr: { hostname: "127.0.0.1" } });
 * // 127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a?b=1 HTTP/1.1" 200 5
 * ```
 */
export function accessLog<I>(
  handler: (request: Request, info: I) => Response | Promise<Response>,
  options: AccessLogOptions = {},
): (request: Request, info: I) => Promise<Response> {
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  return async (request, info) => {
    const url = new URL(request.url);
    const prefix = `${remoteHost(info)} - ${authUser(request)} [${clfDate(now())}] "${
      escape(request.method, true)
    } ${escape(url.pathname + url.search, true)} HTTP/1.1"`;
    let response: Response;
    try {
      response = await handler(request, info);
    } catch (error) {
      write(`${prefix} 500 -`);
      throw error;
    }
    const line = (bytes: number | null): void =>
      write(`${prefix} ${response.status} ${bytes ? bytes : "-"}`);
    const length = response.headers.get("content-length");
    if (response.body === null || request.method === "HEAD") {
      line(null);
      return response;
    }
    if (length !== null && /^\d+$/.test(length)) {
      line(Number(length));
      return response;
    }
    return new Response(counted(response.body, line), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

import type { FetchHandler, ServeOptions } from "./types.ts";

/** {@linkcode ServeOptions} once checked: the handler taken out, the port a number. */
export type ResolvedServeOptions = Omit<ServeOptions, "port" | "fetch" | "handler"> & {
  port?: number;
};

/**
 * Every option `serve()` knows. Typed as a complete map of the option names,
 * so an option added to {@linkcode ServeOptions} and not here fails `deno check`.
 */
export const KNOWN: { readonly [K in keyof Required<ServeOptions>]: true } = {
  fetch: true,
  handler: true,
  port: true,
  hostname: true,
  path: true,
  tls: true,
  http2: true,
  reusePort: true,
  signal: true,
  onListen: true,
  onError: true,
  logger: true,
  scheduler: true,
  workers: true,
  maxInFlight: true,
  maxConnections: true,
  limits: true,
  maxBodyBytes: true,
  headersTimeoutMs: true,
  bodyTimeoutMs: true,
  keepAliveTimeoutMs: true,
  requestTimeoutMs: true,
  writeTimeoutMs: true,
  maxDrainBytes: true,
  methods: true,
  requireHost: true,
  debug: true,
};

/** What Bun.serve or Deno.serve call an option that hussar names otherwise. */
const OTHER_NAMES: Record<string, string> = {
  unix: "path",
  error: "onError",
  maxRequestBodySize: "maxBodyBytes",
  idleTimeout: "keepAliveTimeoutMs (in milliseconds)",
  cert: "tls: { cert, key }",
  key: "tls: { cert, key }",
  shutdown: "signal",
  silent: "logger: false",
};

/**
 * Checks `serve()`'s arguments (`serve(handler)`, `serve({ fetch })`,
 * `serve({ handler })` or `serve(options, handler)`) and returns the handler
 * and the options. Throws a TypeError (a RangeError for a number out of range)
 * naming what is wrong: an unknown option, the handler missing or given twice,
 * a malformed port.
 */
export function resolveServeArguments(
  first: FetchHandler | ServeOptions,
  second?: FetchHandler,
): { options: ResolvedServeOptions; handler: FetchHandler } {
  if (typeof first === "function") {
    if (second !== undefined) throw new TypeError("serve: give the handler once");
    return { options: {}, handler: first };
  }
  if (typeof first !== "object" || first === null) {
    throw new TypeError(`serve() takes a handler or an options object, not ${describe(first)}`);
  }
  const unknown = Object.keys(first).filter((key) => !Object.hasOwn(KNOWN, key));
  if (unknown.length > 0) {
    const named = unknown.map((key) => {
      const better = OTHER_NAMES[key] ?? closest(key, Object.keys(KNOWN));
      return better === undefined ? `\`${key}\`` : `\`${key}\` (did you mean ${better}?)`;
    });
    throw new TypeError(
      `serve: unknown option${unknown.length > 1 ? "s" : ""} ${named.join(", ")}`,
    );
  }
  const { fetch, handler: alias, port, ...rest } = first;
  const given = [second, fetch, alias].filter((handler) => handler !== undefined);
  if (given.length === 0) throw new TypeError("serve() needs a fetch handler");
  if (given.length > 1) {
    throw new TypeError(
      "serve: give the handler once, as `fetch`, `handler` or the second argument",
    );
  }
  const handler = given[0];
  if (typeof handler !== "function") {
    throw new TypeError(`serve: the handler must be a function, not ${describe(handler)}`);
  }
  const workers = rest.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0) {
    throw new RangeError(`serve: \`workers\` must be a whole number, not ${describe(workers)}`);
  }
  if (rest.http2 !== undefined && typeof rest.http2 !== "boolean") {
    throw new TypeError(`serve: \`http2\` must be true or false, not ${describe(rest.http2)}`);
  }
  return { options: { ...rest, port: resolvePort(port) }, handler };
}

/**
 * A port given as a number or, as it comes from `process.env.PORT`, a string
 * of decimal digits (as Bun.serve takes it); no hexadecimal, sign, exponent
 * or space, which `Number()` would let through.
 */
function resolvePort(port: unknown): number | undefined {
  if (port === undefined) return undefined;
  const value = typeof port === "string" && /^[0-9]+$/.test(port) ? Number(port) : port;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 65535) {
    return value;
  }
  const message = "serve: `port` must be a whole number from 0 to 65535 " +
    `or a string of its decimal digits ("8080"), not ${describe(port)}`;
  throw typeof value === "number" && Number.isInteger(value)
    ? new RangeError(message)
    : new TypeError(message);
}

/** A value as a message shows it: strings quoted, so `"8080 "` is seen for what it is. */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return value === null ? "null" : `a value of type ${typeof value}`;
}

/** The known name a misspelt one most likely meant (case aside, at most two edits away), if any. */
function closest(key: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  // Two edits only for names long enough that two edits leave them recognisable.
  return bestDistance <= Math.min(2, Math.floor(key.length / 3)) ? `\`${best}\`` : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit ("prot" → "port"). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

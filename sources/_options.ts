import type { NetAddress } from "../core/transport.ts";
import type { ListenOptions } from "./listen.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";

/** {@linkcode ListenOptions} with defaults applied and values checked. */
export type ResolvedListenOptions =
  & (
    | { kind: "tcp"; hostname: string; port: number; reusePort: boolean; tls?: TlsPem }
    | { kind: "unix"; path: string; tls?: TlsPem }
  )
  & { logger: Logger; alpnProtocols: readonly string[] };

/** A certificate chain and private key, PEM-encoded. */
export interface TlsPem {
  cert: string;
  key: string;
}

/** The ALPN protocols offered on TLS listeners unless `alpnProtocols` says otherwise. */
export const ALPN_PROTOCOLS: readonly string[] = Object.freeze(["http/1.1"]);

/** Applies defaults and rejects malformed options with a TypeError or RangeError. */
export function resolveListenOptions(options: ListenOptions = {}): ResolvedListenOptions {
  let tls: TlsPem | undefined;
  if (options.tls !== undefined) {
    const { cert, key } = options.tls;
    if (typeof cert !== "string" || cert === "" || typeof key !== "string" || key === "") {
      throw new TypeError("listen: tls needs `cert` and `key` as non-empty PEM strings");
    }
    tls = { cert, key };
  }
  const logger = resolveLogger(options.logger);
  const alpnProtocols = options.alpnProtocols ?? ALPN_PROTOCOLS;
  if (
    !Array.isArray(alpnProtocols) || alpnProtocols.length === 0 ||
    !alpnProtocols.every((p) => typeof p === "string" && p.length > 0 && p.length < 256)
  ) {
    throw new TypeError("listen: `alpnProtocols` must be a non-empty array of protocol names");
  }
  if (options.path !== undefined) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new TypeError("listen: `path` must be a non-empty string");
    }
    // Like Deno.serve: a path wins over hostname and port, which callers often pass by default.
    return { kind: "unix", path: options.path, tls, logger, alpnProtocols };
  }
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError("listen: `hostname` must be a non-empty string");
  }
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`listen: \`port\` must be an integer from 0 to 65535, got ${port}`);
  }
  return {
    kind: "tcp",
    hostname,
    port,
    reusePort: options.reusePort ?? false,
    tls,
    logger,
    alpnProtocols,
  };
}

/**
 * An address as messages write it: `127.0.0.1:8000`, `[::1]:8000` (IPv6 in
 * brackets), `unix:/run/app.sock`.
 */
export function addressText(target: { hostname?: string; port?: number; path?: string }): string {
  if (target.path !== undefined) return `unix:${target.path}`;
  const hostname = target.hostname ?? "";
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${target.port ?? ""}`;
}

/** The address a listen call asked for, for messages ("127.0.0.1:8000", "unix:/tmp/s (TLS)"). */
export function describeTarget(options: ResolvedListenOptions): string {
  return options.tls ? `${addressText(options)} (TLS)` : addressText(options);
}

/** The address of a TCP endpoint. */
export function tcpAddr(hostname: string | undefined, port: number | undefined): NetAddress {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

/** The address of a Unix socket endpoint (`""` for an unnamed client socket). */
export function unixAddr(path: string | null | undefined): NetAddress {
  return { transport: "unix", hostname: "", port: 0, path: path ?? "" };
}

import type { NetAddress } from "../core/transport.ts";
import type { ListenOptions } from "./listen.ts";

/** {@linkcode ListenOptions} with defaults applied and values checked. */
export type ResolvedListenOptions =
  | { kind: "tcp"; hostname: string; port: number; reusePort: boolean; tls?: TlsPem }
  | { kind: "unix"; path: string; tls?: TlsPem };

/** A certificate chain and private key, PEM-encoded. */
export interface TlsPem {
  cert: string;
  key: string;
}

/** The ALPN protocol offered on TLS listeners. */
export const ALPN_PROTOCOLS: string[] = ["http/1.1"];

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
  if (options.path !== undefined) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new TypeError("listen: `path` must be a non-empty string");
    }
    // Like Deno.serve: a path wins over hostname and port, which callers often pass by default.
    return { kind: "unix", path: options.path, tls };
  }
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError("listen: `hostname` must be a non-empty string");
  }
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`listen: \`port\` must be an integer from 0 to 65535, got ${port}`);
  }
  return { kind: "tcp", hostname, port, reusePort: options.reusePort ?? false, tls };
}

/** The address a listen call asked for, for messages ("127.0.0.1:8000", "unix:/tmp/s"). */
export function describeTarget(options: ResolvedListenOptions): string {
  const where = options.kind === "unix"
    ? `unix:${options.path}`
    : `${
      options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname
    }:${options.port}`;
  return options.tls ? `${where} (TLS)` : where;
}

const REASONS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTFOUND: "host name not found",
  EAI_NONAME: "host name not found",
  EAFNOSUPPORT: "address family not supported",
};

/**
 * The Error a failed listen rejects with: what was asked, why it failed in
 * words, the system code when there is one, and the runtime's error as
 * `cause`. Each runtime words its errors differently; this message does not.
 */
export function listenError(options: ResolvedListenOptions, cause: unknown): Error {
  const code = codeOf(cause);
  const original = cause instanceof Error ? cause.message : String(cause);
  let reason: string;
  // System error codes (EADDRINUSE, EAI_NONAME), not library ones (ERR_OSSL_...).
  if (code !== undefined && /^E[A-Z_]+$/.test(code) && !code.startsWith("ERR_")) {
    reason = `${REASONS[code] ?? original} (${code})`;
  } else if (options.tls) {
    // Anything else a TLS listen reports comes from reading the PEM material.
    reason = `invalid TLS certificate or key (${original})`;
  } else {
    reason = original;
  }
  return new Error(`hussar: cannot listen on ${describeTarget(options)}: ${reason}`, { cause });
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The address of a TCP endpoint. */
export function tcpAddr(hostname: string | undefined, port: number | undefined): NetAddress {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

/** The address of a Unix socket endpoint (`""` for an unnamed client socket). */
export function unixAddr(path: string | null | undefined): NetAddress {
  return { transport: "unix", hostname: "", port: 0, path: path ?? "" };
}

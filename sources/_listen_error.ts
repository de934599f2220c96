import { ListenError } from "./errors.ts";
import { describeTarget, type ResolvedListenOptions } from "./_options.ts";

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
 * The {@linkcode ListenError} a failed listen rejects with: what was asked,
 * why it failed in words, the same `code` on every runtime, and the
 * runtime's error as `cause`. Each runtime words (and codes) its errors
 * differently; this error does not.
 */
export function listenError(options: ResolvedListenOptions, cause: unknown): ListenError {
  const original = cause instanceof Error ? cause.message : String(cause);
  let code = systemCode(cause);
  let reason: string;
  if (code !== undefined) {
    reason = `${REASONS[code] ?? original} (${code})`;
    // Deno's permission error says which flag is missing.
    if (nameOf(cause) === "NotCapable") reason += `: ${original}`;
  } else if (options.tls) {
    // Anything else a TLS listen reports comes from reading the PEM material.
    code = "ERR_TLS_INVALID_MATERIAL";
    reason = `invalid TLS certificate or key (${original})`;
  } else {
    code = "UNKNOWN";
    reason = original;
  }
  return new ListenError(`hussar: cannot listen on ${describeTarget(options)}: ${reason}`, {
    code,
    cause,
    ...(options.kind === "unix"
      ? { path: options.path }
      : { hostname: options.hostname, port: options.port }),
  });
}

/** The system error code (EADDRINUSE, EAI_NONAME) of a runtime's error, where it has or implies one. */
function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  // System codes, not library ones (ERR_OSSL_...).
  if (typeof code === "string" && /^E[A-Z0-9_]+$/.test(code) && !code.startsWith("ERR_")) {
    return code;
  }
  // Deno gives no code for these: a permission it was not granted (no --allow-net) and a
  // host name it could not resolve.
  const name = nameOf(error);
  if (name === "NotCapable" || name === "PermissionDenied") return "EACCES";
  if (error instanceof Error && error.message.startsWith("failed to lookup address")) {
    return "ENOTFOUND";
  }
  return undefined;
}

function nameOf(error: unknown): unknown {
  return (error as { name?: unknown } | null)?.name;
}

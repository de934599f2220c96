import type { NetAddress } from "../core/transport.ts";

function isWildcard(addr: NetAddress): boolean {
  return addr.hostname === "0.0.0.0" || addr.hostname === "::";
}

function url(hostname: string, port: number, tls: boolean): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${tls ? "https" : "http"}://${host}:${port}/`;
}

/** The address as bound, `0.0.0.0` and `[::]` included; `unix:path` for a Unix socket. */
export function boundUrl(addr: NetAddress, tls: boolean): string {
  if (addr.transport === "unix") return `unix:${addr.path}`;
  return url(addr.hostname, addr.port, tls);
}

/** A URL a client on this machine can fetch: `localhost` stands for a wildcard address. */
export function clientUrl(addr: NetAddress, tls: boolean): string {
  if (addr.transport === "tcp" && isWildcard(addr)) return url("localhost", addr.port, tls);
  return boundUrl(addr, tls);
}

/**
 * The default `onListen` line: what the server is bound to, then, for a
 * wildcard address, where to reach it from this machine (as `Deno.serve` says).
 */
export function listeningMessage(addr: NetAddress, tls: boolean): string {
  const bound = boundUrl(addr, tls);
  const local = clientUrl(addr, tls);
  return bound === local ? `Listening on ${bound}` : `Listening on ${bound} (${local})`;
}

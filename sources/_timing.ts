import { denoRuntime } from "../internal/runtime_types.ts";

/**
 * How long a TLS client has to finish its handshake before the socket is
 * dropped. Until then the connection belongs to no one (the core's
 * deadlines start when it is handed over), so this bounds what a silent
 * client can hold.
 */
export const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * How long a closed connection keeps reading (and discarding) while waiting
 * for the peer's FIN. Closing a socket with unread input makes the kernel
 * send a reset, which can destroy the response the peer has not read yet;
 * reading until the peer's end (a "lingering close") avoids that, and this
 * bound keeps a peer that never ends from holding the socket.
 */
export const LINGER_MS = 2_000;

/**
 * Runs `fn` after `ms` without keeping the process alive for it; returns a
 * function that cancels it.
 */
export function unrefTimeout(fn: () => void, ms: number): () => void {
  const id: unknown = setTimeout(fn, ms);
  if (typeof id === "number") {
    // Deno's timers are numbers, unref'd through the Deno global.
    denoRuntime()?.unrefTimer?.(id);
  } else {
    (id as { unref?: () => void }).unref?.();
  }
  return () => clearTimeout(id as number);
}

/** What a transport does about closing, once asked: see {@linkcode closeAction}. */
export type CloseAction = "wait" | "close" | "linger";

/**
 * The close decision the Deno, Bun and Node transports share. Nothing
 * until both directions are done (our output ended or aborted, the input
 * ended, failed or cancelled) and while the socket is already closed or
 * lingering; then at once if the peer ended its side or the input was read
 * to its end; else a lingering close, because closing with input left unread
 * makes the kernel send a reset (RFC 1122 §4.2.2.13) that can destroy the
 * response the peer has not read yet.
 */
export function closeAction(state: {
  writeDone: boolean;
  inputOpen: boolean;
  inputCancelled: boolean;
  peerEnded: boolean;
  closed: boolean;
  lingering: boolean;
}): CloseAction {
  if (!state.writeDone || state.inputOpen || state.closed || state.lingering) return "wait";
  return state.peerEnded || !state.inputCancelled ? "close" : "linger";
}

/** What a lingering close calls once its bound ({@linkcode LINGER_MS}) has passed. */
export const LINGER_EXPIRED: unique symbol = Symbol("lingerExpired");

/** A transport in a lingering close. */
export interface Lingerer {
  /** Closes the socket: the peer did not end its side within {@linkcode LINGER_MS}. */
  [LINGER_EXPIRED](): void;
  /** Its place among those lingering (set while it lingers; see {@linkcode startLinger}). */
  [LINGER_ENTRY]?: LingerEntry | null;
}

/** Where a lingering transport keeps its place among those lingering. */
export const LINGER_ENTRY: unique symbol = Symbol("hussar.lingerEntry");

/** One lingering close: its transport (null once ended) and when its bound passes. */
interface LingerEntry {
  lingerer: Lingerer | null;
  due: number;
}

/**
 * Lingering closes in the order they began, which is bound order (every
 * bound is {@linkcode LINGER_MS} long): one timer for them all, armed for the
 * oldest, replaces a timer per closing connection. An ended one stays in line
 * until swept, holding nothing. Not a `Map`: under churn its rehashed tables,
 * once in old space, keep every transport since alive through V8's minor
 * collections.
 */
let lingering: LingerEntry[] = [];
let sweepArmed = false;

/** Starts `lingerer`'s bound: its `[LINGER_EXPIRED]()` runs after {@linkcode LINGER_MS} unless {@linkcode endLinger} comes first. */
export function startLinger(lingerer: Lingerer): void {
  const entry = { lingerer, due: performance.now() + LINGER_MS };
  lingerer[LINGER_ENTRY] = entry;
  lingering.push(entry);
  if (!sweepArmed) armSweep(LINGER_MS);
}

/** The lingering close ended (the peer's FIN, or the socket closed): its bound goes. */
export function endLinger(lingerer: Lingerer): void {
  const entry = lingerer[LINGER_ENTRY];
  if (entry === undefined || entry === null) return;
  entry.lingerer = null;
  lingerer[LINGER_ENTRY] = null;
}

function armSweep(ms: number): void {
  sweepArmed = true;
  unrefTimeout(sweep, ms);
}

/** Closes those whose bound passed; re-arms for the next one still lingering. */
function sweep(): void {
  sweepArmed = false;
  const now = performance.now();
  let passed = 0;
  for (; passed < lingering.length && lingering[passed].due <= now; passed++) {
    const entry = lingering[passed];
    const lingerer = entry.lingerer;
    if (lingerer === null) continue;
    entry.lingerer = lingerer[LINGER_ENTRY] = null;
    try {
      lingerer[LINGER_EXPIRED]();
    } catch {
      // Closing a socket that went meanwhile: nothing more to do.
    }
  }
  lingering = lingering.slice(passed);
  const next = lingering.find((entry) => entry.lingerer !== null);
  if (next !== undefined) armSweep(next.due - now);
}

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
}

/**
 * Transports lingering now, with when their bound passes. Every bound is
 * {@linkcode LINGER_MS} long, so insertion order is bound order, and one
 * timer for them all (armed for the oldest) replaces a timer per closing
 * connection: under connection churn every connection lingers a moment.
 */
const lingerers = new Map<Lingerer, number>();
let sweepArmed = false;

/** Starts `lingerer`'s bound: its `[LINGER_EXPIRED]()` runs after {@linkcode LINGER_MS} unless {@linkcode endLinger} comes first. */
export function startLinger(lingerer: Lingerer): void {
  lingerers.set(lingerer, performance.now() + LINGER_MS);
  if (!sweepArmed) armSweep(LINGER_MS);
}

/** The lingering close ended (the peer's FIN, or the socket closed): its bound goes. */
export function endLinger(lingerer: Lingerer): void {
  lingerers.delete(lingerer);
}

function armSweep(ms: number): void {
  sweepArmed = true;
  unrefTimeout(sweep, ms);
}

/** Closes those whose bound passed; re-arms for the next one. */
function sweep(): void {
  sweepArmed = false;
  const now = performance.now();
  for (const [lingerer, due] of lingerers) {
    if (due > now) return armSweep(due - now);
    lingerers.delete(lingerer);
    try {
      lingerer[LINGER_EXPIRED]();
    } catch {
      // Closing a socket that went meanwhile: nothing more to do.
    }
  }
}

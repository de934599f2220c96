/**
 * Protocol upgrades (WebSocket) between a fetch handler and the connection
 * under it: `fetchApp` (and worker mode's exchange) marks each request that
 * asks for an upgrade; `upgradeWebSocket()` claims it with a pending upgrade;
 * when the handler returns that upgrade's response, the exchange takes it
 * and hands the connection, as a {@linkcode ByteDuplex}, to the pending
 * upgrade. Shared by serve/ and websocket/, which otherwise do not know each
 * other.
 *
 * Keyed by the `Request` object: a copy made by middleware cannot be
 * upgraded, which `upgradeWebSocket()` reports.
 *
 * @module
 */
import type { ByteDuplex } from "../websocket/duplex.ts";

/** An upgrade waiting for its response to be returned and written. */
export interface PendingUpgrade {
  /** The response the handler must return (reports status 101). */
  readonly response: Response;
  /** Runs the new protocol over the connection; resolves when it is over. */
  start(duplex: ByteDuplex, shutdown?: AbortSignal): Promise<void>;
  /** The upgrade will not happen (another response, a write failure, a lost client). */
  cancel(reason: string): void;
}

interface Slot {
  /** HTTP version of the request: an upgrade needs 1.1. */
  version: "1.0" | "1.1" | "2";
  pending: PendingUpgrade | null;
}

const slots = new WeakMap<Request, Slot>();
/**
 * Upgrades claimed and not yet taken (or let go with their request): while
 * none is, no response can be one, and `takeUpgrade` looks nothing up.
 */
let claimed = 0;

/**
 * Called by `fetchApp` for every request: one that asks for an upgrade (it
 * has an Upgrade field: `upgrade`) may be claimed.
 */
export function markUpgradable(
  request: Request,
  version: "1.0" | "1.1" | "2",
  upgrade: boolean,
): void {
  if (upgrade) slots.set(request, { version, pending: null });
}

/** Why `request` cannot be upgraded here, or null if it can (then `pending` is registered). */
export function claimUpgrade(request: Request, pending: PendingUpgrade): string | null {
  const slot = slots.get(request);
  if (slot === undefined) {
    return "this Request did not come from hussar's serve() (a copy cannot be upgraded)";
  }
  if (slot.version !== "1.1") return "a WebSocket handshake needs HTTP/1.1";
  if (slot.pending !== null) return "this request was already upgraded";
  slot.pending = pending;
  claimed++;
  request.signal.addEventListener(
    "abort",
    () => pending.cancel("the client went away before the upgrade"),
    { once: true },
  );
  return null;
}

/**
 * Called by `fetchApp` with the handler's response: the pending upgrade if
 * that response is its 101, else null (and a pending upgrade is cancelled).
 */
export function takeUpgrade(request: Request, response: Response): PendingUpgrade | null {
  if (claimed === 0) return null;
  const pending = slots.get(request)?.pending ?? null;
  if (pending === null) return null;
  slots.delete(request);
  claimed--;
  if (pending.response === response) return pending;
  pending.cancel(`the handler answered ${response.status} instead of the upgrade response`);
  return null;
}

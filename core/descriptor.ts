import type { Thread, TimerHandle } from "../scheduler/mod.ts";
import type { Connection } from "./connection.ts";
import { DEADLINE_AT, DEADLINE_DUE, GRACE_TIMER, NEXT, PREV } from "./_slots.ts";

/**
 * The core's record of one live connection: the connection, the thread
 * bound to it, the handler's private frame, and its deadline.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     conn.setDeadline(5000, "idle");
 *     yield* conn.read();
 *   },
 * });
 * hussar.attachSource(source);
 * source.connect();
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * for (const descriptor of hussar.descriptors()) {
 *   console.log(descriptor.connection.id, descriptor.deadlineReason); // 1 idle
 * }
 * await hussar.close();
 * ```
 */
export class Descriptor {
  /** The connection. */
  readonly connection: Connection;
  /** The handler's private per-connection state. */
  readonly frame: Record<string, unknown>;
  /** The thread running the handler for this connection. */
  thread: Thread | null = null;
  /** When the deadline passes, in scheduler-clock milliseconds (`Infinity` for none). */
  deadline: number = Infinity;
  /** The reason given with the deadline. */
  deadlineReason: string = "";
  /** @internal Its place in the core's deadline heap (-1: not in it). */
  [DEADLINE_AT] = -1;
  /** @internal When it comes up in that heap (at or before `deadline`). */
  [DEADLINE_DUE]: number = Infinity;
  /** @internal Timer that ends the thread and connection after the grace period. */
  [GRACE_TIMER]: TimerHandle | null = null;
  /** @internal The live descriptor accepted before this one (null: the first, or dropped). */
  [PREV]: Descriptor | null = null;
  /** @internal The live descriptor accepted after this one (null: the last, or dropped). */
  [NEXT]: Descriptor | null = null;

  /** @internal Created by `Hussar.addConnection`. */
  constructor(connection: Connection, frame: Record<string, unknown>) {
    this.connection = connection;
    this.frame = frame;
  }
}

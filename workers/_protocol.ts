/**
 * The messages between the main thread and its HTTP workers. Every message
 * about a request names its shuttle by `id`; ids are never reused within a
 * worker's life, so a late message about a finished shuttle is recognised
 * and dropped instead of reaching a newer request.
 *
 * @module
 */
import type { NetAddress } from "../core/transport.ts";
import type { ShuttleHead } from "./shuttle.ts";
import type { WorkerHttpOptions } from "./worker_pool.ts";

/** What a worker is told to do when it starts. */
export interface WorkerInit {
  readonly type: "init";
  readonly hostname?: string;
  readonly port: number;
  readonly path?: string;
  readonly tls?: { cert: string; key: string };
  readonly reusePort: boolean;
  readonly http: WorkerHttpOptions;
  /** Speak HTTP/2 too (ALPN `h2` on TLS, the preface on cleartext), or HTTP/1.1 only. */
  readonly http2: boolean;
  /** Shuttles in flight beyond which the worker stops reading requests. */
  readonly maxInFlight: number;
  /** Connections beyond which the worker closes new ones at once. */
  readonly maxConnections: number;
}

/** Main thread → worker. */
export type ToWorker =
  | WorkerInit
  /** Send the next body chunk. */
  | { readonly type: "pull"; readonly id: number }
  /**
   * The response head; with `end`, `body` is the whole body and nothing
   * follows, otherwise it is the body's first part (if any) and chunks
   * follow. With `upgrade` (a 101), the connection then relays raw bytes:
   * "pull" reads from the socket, "chunk" writes to it.
   */
  | {
    readonly type: "head";
    readonly id: number;
    readonly status: number;
    readonly statusText?: string;
    readonly headers: [string, string][];
    readonly body: Uint8Array | null;
    readonly end: boolean;
    readonly upgrade: boolean;
  }
  /** A body chunk of a streamed response (or, after a 101, raw bytes); answered by "continue". */
  | { readonly type: "chunk"; readonly id: number; readonly bytes: Uint8Array }
  /** The streamed response is complete (`bytes` is a last chunk, if any). */
  | { readonly type: "end"; readonly id: number; readonly bytes: Uint8Array | null }
  /** The handler gave up (its stream failed): abort the connection. */
  | { readonly type: "abort"; readonly id: number; readonly reason: string }
  /** Answer to "closed": nothing more will come for this shuttle, free its slot. */
  | { readonly type: "release"; readonly id: number }
  /** Report counts ("stats"), for leak checks and metrics. */
  | { readonly type: "stats" }
  /** Graceful stop: stop accepting, finish in-flight requests, then say "stopped". */
  | { readonly type: "shutdown" }
  /** Forced stop: abort every connection, then say "stopped". */
  | { readonly type: "close" };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: "listening"; readonly addr: NetAddress }
  /** The worker could not listen; `code` is the runtime's error code if it had one. */
  | { readonly type: "listen-failed"; readonly message: string; readonly code: string | null }
  | { readonly type: "request"; readonly id: number; readonly head: ShuttleHead }
  /** A body chunk, in answer to "pull"; `null` once the body is complete. */
  | { readonly type: "body"; readonly id: number; readonly bytes: Uint8Array | null }
  /** Reading the body failed (limit, timeout, bad chunking). */
  | { readonly type: "body-error"; readonly id: number; readonly message: string }
  /**
   * The chunk in flight was taken: queued on the connection, which holds no
   * more than its high-water mark (after a 101: handed to the transport,
   * all of it). The next may come.
   */
  | { readonly type: "continue"; readonly id: number }
  /** The response was completely written (`error` if writing it failed). */
  | { readonly type: "done"; readonly id: number; readonly error: string | null }
  /** The client went away before the response was complete. */
  | { readonly type: "closed"; readonly id: number; readonly reason: string }
  | { readonly type: "stats"; readonly stats: WorkerThreadStats }
  /** What the worker's server says, for the pool's logger (`error` as its stack or text). */
  | {
    readonly type: "log";
    readonly level: "info" | "warn" | "error";
    readonly text: string;
    readonly error: string | null;
  }
  | { readonly type: "stopped" };

/** What one worker holds, as it reports it. */
export interface WorkerThreadStats {
  /** Shuttle slots held (requests whose exchange is not over for the worker). */
  readonly slots: number;
  /** Live connections. */
  readonly connections: number;
  /** Live threads of the worker's scheduler (connection threads and the core's manager). */
  readonly threads: number;
  /** Pending timers of the worker's scheduler. */
  readonly timers: number;
}

/**
 * The buffer to transfer with `bytes`, or none when `bytes` is a view on a
 * larger buffer (transferring would detach bytes that are not ours): such a
 * view is copied by the structured clone instead.
 */
export function transferable(bytes: Uint8Array | null): ArrayBuffer[] {
  if (bytes === null) return [];
  const buffer = bytes.buffer;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 &&
      bytes.byteLength === buffer.byteLength && buffer.byteLength > 0
    ? [buffer]
    : [];
}

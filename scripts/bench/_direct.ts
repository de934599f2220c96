/**
 * What the engine benchmarks (`engine.ts`, `engine_h2.ts`) share:
 * in-memory connections, a transport the core reads and writes directly
 * with no socket and no Web stream in between, and the deadlines they run
 * with.
 *
 * @module
 */
import process from "node:process";
import type { Transport } from "../../core/transport.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectSink,
  type DirectSource,
} from "../../internal/direct_io.ts";

const ADDRESS = { transport: "tcp", hostname: "127.0.0.1", port: 8080 } as const;

/** A transport over `source` and `sink` alone (its Web streams throw if asked for). */
export function directTransport(source: DirectSource, sink: DirectSink): Transport {
  return {
    info: { remoteAddr: ADDRESS, localAddr: ADDRESS, tls: false },
    get readable(): never {
      throw new Error("read directly");
    },
    get writable(): never {
      throw new Error("written directly");
    },
    [DIRECT_SOURCE]: () => source,
    [DIRECT_SINK]: () => sink,
  } as Transport;
}

/**
 * The default limits and deadlines, or with `--slow` (for runs under
 * valgrind, where compiling a first burst of code may take seconds) the
 * same deadlines stretched a hundredfold: still armed, moved and cancelled
 * as often, so they cost the same.
 */
export const TIMEOUTS = process.argv.includes("--slow")
  ? {
    headersTimeoutMs: 3_000_000,
    bodyTimeoutMs: 3_000_000,
    keepAliveTimeoutMs: 500_000,
    requestTimeoutMs: 6_000_000,
    writeTimeoutMs: 6_000_000,
  }
  : {};

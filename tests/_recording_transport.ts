/** Test helper: a transport that shows each write the connection hands to it. */
import type { Transport } from "../core/transport.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectReader,
  type DirectSink,
  type DirectSource,
  ON_CHUNK,
} from "../internal/direct_io.ts";

const ADDRESS = { transport: "memory", hostname: "", port: 0 } as const;

/** An in-memory transport read and written only directly, through `source` and `sink`. */
export function directOnlyTransport(source: DirectSource, sink: DirectSink): Transport {
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
 * A source whose peer sends `input` (if any) once, from a Promise reaction
 * (`settles` says so to the connection, as Deno's reads do), then waits
 * without ending its side.
 */
export function onceSource(input: Uint8Array | null, settles = false): DirectSource {
  let given = input === null;
  return {
    settles,
    read(reader: DirectReader): void {
      if (given) return;
      given = true;
      void Promise.resolve().then(() => reader[ON_CHUNK](input));
    },
    cancel(): void {},
  };
}

/**
 * A transport whose peer sends `input` (if any) and then waits without
 * ending its side (an end while a response is owed would mean it left), and
 * whose sink takes every write at once, recording it in `writes` as handed
 * over. `inputEnd()` says how the connection let go of the input first:
 * `finish` (the peer sent all it will), `cancel` (input may be left unread),
 * or null (neither yet).
 */
export function recordingTransport(
  input: Uint8Array | null = null,
): {
  transport: Transport;
  writes: Uint8Array[];
  /** Each write as handed over: one buffer, or a gathered write's (`writev`, once enabled). */
  calls: Uint8Array[][];
  /** Gives the sink a `writev` (as Node's and Deno's transports have). */
  gathering(): void;
  inputEnd(): "finish" | "cancel" | null;
} {
  const writes: Uint8Array[] = [];
  const calls: Uint8Array[][] = [];
  let pending = input;
  let inputEnd: "finish" | "cancel" | null = null;
  const source: DirectSource = {
    read(reader: DirectReader): void {
      const chunk = pending;
      pending = null;
      if (chunk !== null) setTimeout(() => reader[ON_CHUNK](chunk), 0);
    },
    cancel(): void {
      inputEnd ??= "cancel";
    },
    finish(): void {
      inputEnd ??= "finish";
    },
  };
  const sink: DirectSink = {
    write(chunk: Uint8Array): void {
      writes.push(chunk);
      calls.push([chunk]);
    },
    end(): void {},
    abort(): void {},
  };
  const transport = directOnlyTransport(source, sink);
  const gathering = (): void => {
    sink.writev = (chunks) => {
      writes.push(...chunks);
      calls.push([...chunks]);
    };
  };
  return { transport, writes, calls, gathering, inputEnd: () => inputEnd };
}

/** Runs `run`, counting the host tasks (`setImmediate`) queued meanwhile. */
export async function countHostTasks(run: () => Promise<void>): Promise<number> {
  const original = globalThis.setImmediate;
  let hostTasks = 0;
  globalThis.setImmediate = ((callback: () => void) => {
    hostTasks++;
    return original(callback);
  }) as typeof setImmediate;
  try {
    await run();
  } finally {
    globalThis.setImmediate = original;
  }
  return hostTasks;
}

/**
 * One worker thread and its message channel, the same on every runtime:
 * a Web `Worker` on Deno and Bun, a `node:worker_threads` Worker on Node.
 *
 * Messages posted in the same turn of the event loop travel together, as
 * one `postMessage` of an array: a `postMessage` costs far more than its
 * size, and a busy server posts many small messages per turn
 * (scripts/bench/worker_transport.ts measures it; see the README).
 *
 * @module
 */
import type { FromWorker, ToWorker } from "./_protocol.ts";
import { bunRuntime, denoRuntime } from "../internal/runtime_types.ts";

/** The main thread's handle on one worker. */
export interface WorkerHandle {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  /** Ends the thread now (what a crash looks like from outside). */
  terminate(): void;
}

/** What the main thread hears from a worker. */
export interface WorkerEvents {
  message(message: FromWorker): void;
  /** The thread ended or failed; called once. */
  exit(reason: string): void;
}

/** The worker side of the channel. */
export interface ParentPort {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: ToWorker) => void): void;
  /** Lets the thread end once nothing else keeps it alive (after what was posted is sent). */
  close(): void;
}

interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): Promise<number>;
  on(event: "message", listener: (batch: FromWorker[]) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "exit", listener: (code: number) => void): void;
}

interface NodeParentPortLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  on(event: "message", listener: (batch: ToWorker[]) => void): void;
  close(): void;
}

/** Gathers the messages of one turn into one `postMessage` of an array. */
function batching<M>(
  postMessage: (batch: M[], transfer: ArrayBuffer[]) => void,
): (message: M, transfer?: ArrayBuffer[]) => void {
  let batch: M[] = [];
  let transfers: ArrayBuffer[] = [];
  const flush = (): void => {
    const sending = batch;
    const sendingTransfers = transfers;
    batch = [];
    transfers = [];
    postMessage(sending, sendingTransfers);
  };
  return (message, transfer = []) => {
    if (batch.length === 0) queueMicrotask(flush);
    batch.push(message);
    for (const buffer of transfer) transfers.push(buffer);
  };
}

/** Whether this runtime has Web Workers as its worker threads. */
function webWorkers(): boolean {
  return denoRuntime() !== undefined || bunRuntime() !== undefined;
}

/** Starts the worker script at `url`. */
export async function spawnWorker(url: URL, events: WorkerEvents): Promise<WorkerHandle> {
  let exited = false;
  const exit = (reason: string): void => {
    if (exited) return;
    exited = true;
    events.exit(reason);
  };
  if (webWorkers()) {
    const worker = new Worker(url.href, { type: "module" });
    worker.onmessage = (event: MessageEvent<FromWorker[]>) => {
      for (const message of event.data) events.message(message);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      exit(`worker failed: ${event.message}`);
    };
    worker.onmessageerror = () => exit("worker sent a message that could not be read");
    return {
      post: batching((batch, transfer) => worker.postMessage(batch, transfer)),
      terminate: () => {
        worker.terminate();
        // A Web Worker says nothing when terminated.
        exit("worker terminated");
      },
    };
  }
  const { Worker: NodeWorker } = await import("node:worker_threads");
  const worker = new NodeWorker(url) as unknown as NodeWorkerLike;
  worker.on("message", (batch) => {
    for (const message of batch) events.message(message);
  });
  worker.on("error", (error) => exit(`worker failed: ${error.message}`));
  worker.on("exit", (code) => exit(`worker exited with code ${code}`));
  return {
    post: batching((batch, transfer) => worker.postMessage(batch, transfer)),
    terminate: () => void worker.terminate(),
  };
}

/** The channel to the main thread, from inside a worker. */
export async function parentPort(): Promise<ParentPort> {
  if (webWorkers()) {
    const scope = globalThis as unknown as {
      postMessage(message: unknown, transfer: ArrayBuffer[]): void;
      addEventListener(
        type: "message",
        listener: (event: MessageEvent<ToWorker[]>) => void,
      ): void;
      close(): void;
    };
    return {
      post: batching((batch, transfer) => scope.postMessage(batch, transfer)),
      onMessage: (listener) =>
        scope.addEventListener("message", (event) => {
          for (const message of event.data) listener(message);
        }),
      // After the batch queued before it has been posted.
      close: () => queueMicrotask(() => scope.close()),
    };
  }
  const { parentPort: port } = await import("node:worker_threads");
  if (port === null) throw new Error("not running in a worker thread");
  const nodePort = port as unknown as NodeParentPortLike;
  return {
    post: batching((batch, transfer) => nodePort.postMessage(batch, transfer)),
    onMessage: (listener) =>
      nodePort.on("message", (batch) => {
        for (const message of batch) listener(message);
      }),
    close: () => queueMicrotask(() => nodePort.close()),
  };
}

/**
 * Runs the same behaviour tests over the in-memory fake source and over a
 * real socket (127.0.0.1, the runtime's own adapter), with one client API.
 */
import { connect, type Socket } from "node:net";
import { Hussar } from "../../core/mod.ts";
import { httpHandler, type HttpServerOptions } from "../../httputil/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { fetchApp, type FetchAppOptions } from "../../serve/fetch_app.ts";
import { serve } from "../../serve/serve.ts";
import type { FetchHandler } from "../../serve/types.ts";
import { answersTo } from "../_http.ts";

/** A raw HTTP client: bytes in, bytes out. */
export interface RawClient {
  write(data: string | Uint8Array): void;
  /** Half-closes our side (FIN). */
  end(): void;
  /** Resets the connection. */
  disconnect(): void;
  /** Everything received, once the server has closed, as latin1 text. */
  readText(): Promise<string>;
  /** Resolves once the received text matches `pattern` (or the server closed). */
  waitFor(pattern: RegExp | ((text: string) => boolean)): Promise<string>;
}

export interface Served {
  connect(): Promise<RawClient>;
  /** Sends `raw` on a new connection, returns all the server sent (it leaves once answered). */
  exchange(raw: string): Promise<string>;
  hussar: Hussar;
  close(): Promise<void>;
}

export interface Harness {
  name: string;
  serve(handler: FetchHandler, options?: HttpServerOptions & FetchAppOptions): Promise<Served>;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

function socketClient(socket: Socket): RawClient {
  let received = "";
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  socket.on("data", (chunk: Uint8Array) => {
    received += latin1(chunk);
    wake();
  });
  socket.on("close", () => {
    ended = true;
    wake();
  });
  socket.on("error", () => {});
  const until = async (done: () => boolean): Promise<void> => {
    while (!done()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    write: (data) =>
      void socket.write(
        typeof data === "string" ? Uint8Array.from(data, (c) => c.charCodeAt(0)) : data,
      ),
    end: () => void socket.end(),
    disconnect: () => void socket.resetAndDestroy(),
    readText: async () => {
      await until(() => ended);
      return received;
    },
    waitFor: async (pattern) => {
      const matches = typeof pattern === "function" ? pattern : (t: string) => pattern.test(t);
      await until(() => ended || matches(received));
      return received;
    },
  };
}

/**
 * Sends `raw` on a new connection and returns all the server sent, leaving
 * (FIN) once every request is answered: a FIN while a response is owed would
 * mean the client gave up.
 */
async function exchange(connect: () => Promise<RawClient>, raw: string): Promise<string> {
  const client = await connect();
  client.write(raw);
  await client.waitFor(answersTo(raw));
  client.end();
  return await client.readText();
}

/** As serve() does: `onError` is the fetch handler's; the engine reports what fails after it. */
function engineOptions(options: HttpServerOptions & FetchAppOptions): HttpServerOptions {
  return { ...options, onError: undefined };
}

export const fakeHarness: Harness = {
  name: "fake source",
  serve(handler, options = {}) {
    const hussar = new Hussar({
      handler: httpHandler(fetchApp(handler, options), engineOptions(options)),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const connectFake = (): Promise<RawClient> => {
      const client = source.connect();
      let received = "";
      let ended = false;
      const readUntil = async (done: () => boolean): Promise<string> => {
        while (!ended && !done()) {
          const chunk = await client.read();
          if (chunk === null) ended = true;
          else received += latin1(chunk);
        }
        return received;
      };
      return Promise.resolve({
        write: (data) => client.write(data),
        end: () => client.end(),
        disconnect: () => client.disconnect(),
        readText: () => readUntil(() => false),
        waitFor: (pattern) => {
          const matches = typeof pattern === "function" ? pattern : (t: string) => pattern.test(t);
          return readUntil(() => matches(received));
        },
      });
    };
    return Promise.resolve({
      hussar,
      connect: connectFake,
      exchange: (raw) => exchange(connectFake, raw),
      close: () => hussar.close(),
    });
  },
};

export function socketHarness(
  listen: (options: { hostname: string; port: number }) => Promise<
    { addr: { port: number }; listen(a: (t: never) => void): void; close(): Promise<void> }
  >,
): Harness {
  return {
    name: "real socket",
    async serve(handler, options = {}) {
      const hussar = new Hussar({
        handler: httpHandler(fetchApp(handler, options), engineOptions(options)),
      });
      const listener = await listen({ hostname: "127.0.0.1", port: 0 });
      hussar.attachSource(listener as never);
      return servedOnPort(listener.addr.port, hussar, () => hussar.close());
    },
  };
}

/** A server listening on 127.0.0.1:`port`, reached with raw sockets. */
function servedOnPort(port: number, hussar: Hussar, close: () => Promise<void>): Served {
  const connectSocket = (): Promise<RawClient> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(socketClient(socket)));
      socket.once("error", reject);
    });
  return {
    hussar,
    connect: connectSocket,
    exchange: (raw) => exchange(connectSocket, raw),
    close,
  };
}

/** serve() in worker mode: `workers` threads own the sockets, the handler runs here. */
export function workerHarness(workers: number): Harness {
  return {
    name: `worker mode (${workers} worker${workers === 1 ? "" : "s"})`,
    async serve(handler, options = {}) {
      const server = serve({
        ...options,
        workers,
        hostname: "127.0.0.1",
        port: 0,
        onListen() {},
      }, handler);
      await server.ready;
      const { port } = server.addr as { port: number };
      return servedOnPort(port, server.hussar, () => server.close());
    },
  };
}

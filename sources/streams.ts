import type { ConnectionInfo, NetAddress, Source, Transport } from "../core/transport.ts";

/**
 * A pair of byte streams carrying one connection: what the peer sends
 * (`readable`) and what goes to the peer (`writable`).
 *
 * @example
 * ```ts
 * import type { StreamPair } from "@hussar/core/sources";
 * const toServer = new TransformStream<Uint8Array, Uint8Array>();
 * const toClient = new TransformStream<Uint8Array, Uint8Array>();
 * const pair: StreamPair = { readable: toServer.readable, writable: toClient.writable };
 * console.log(pair.readable.locked); // false
 * ```
 */
export interface StreamPair {
  /** Bytes from the peer. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  writable: WritableStream<Uint8Array>;
}

const MEMORY: NetAddress = { transport: "memory", hostname: "", port: 0 };

/**
 * A source over byte streams from anywhere (a WebSocket bridge, a worker's
 * port, a process's stdio, a test): each {@linkcode StreamSource.add}ed pair
 * becomes a connection. The streams are used as they are, so their own
 * backpressure is what the core sees.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { httpHandler } from "@hussar/core/httputil";
 * import { StreamSource } from "@hussar/core/sources";
 * const source = new StreamSource();
 * const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "hi" })) });
 * hussar.attachSource(source);
 * const toServer = new TransformStream<Uint8Array, Uint8Array>();
 * const toClient = new TransformStream<Uint8Array, Uint8Array>();
 * source.add({ readable: toServer.readable, writable: toClient.writable });
 * const request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
 * const writer = toServer.writable.getWriter();
 * void writer.write(new TextEncoder().encode(request)).then(() => writer.close());
 * const response = await new Response(toClient.readable).text();
 * console.log(response.split("\r\n")[0]); // HTTP/1.1 200 OK
 * await hussar.close();
 * ```
 */
export class StreamSource implements Source {
  #accept: ((transport: Transport) => void) | null = null;
  #backlog: Transport[] = [];
  #closed = false;

  /** Starts handing connections (including ones added before) to `accept`. */
  listen(accept: (transport: Transport) => void): void {
    if (this.#closed) throw new Error("StreamSource is closed");
    this.#accept = accept;
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const transport of backlog) accept(transport);
  }

  /** Stops accepting: later `add()` calls throw; connections already added go on. */
  close(): void {
    this.#closed = true;
    this.#accept = null;
  }

  /**
   * Adds a connection carried by `pair`. `info` fills in what is known about
   * the peer; addresses default to `{ transport: "memory" }`, `tls` to false.
   */
  add(pair: StreamPair, info: Partial<ConnectionInfo> = {}): void {
    if (this.#closed) throw new Error("StreamSource is closed");
    const transport: Transport = {
      readable: pair.readable,
      writable: pair.writable,
      info: {
        remoteAddr: info.remoteAddr ?? { ...MEMORY },
        localAddr: info.localAddr ?? { ...MEMORY },
        tls: info.tls ?? false,
        alpnProtocol: info.alpnProtocol ?? null,
      },
    };
    if (this.#accept !== null) this.#accept(transport);
    else this.#backlog.push(transport);
  }
}

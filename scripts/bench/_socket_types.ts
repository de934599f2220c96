/**
 * The little of Deno's and Bun's socket APIs that the benchmark's own
 * socket loops (the raw ceiling, the floor) use, typed locally so that
 * `deno check` and the npm build's `tsc` both take them.
 *
 * @module
 */

/** A `Deno.Conn`, as the loops read and write it. */
export interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** `Deno.listen`. */
export interface DenoListen {
  listen(options: { hostname: string; port: number }): AsyncIterable<DenoConn>;
}

/** A Bun socket carrying the loop's per-connection state `T` as `data`. */
export interface BunSocket<T> {
  data: T;
  write(bytes: Uint8Array): number;
  end(): void;
}

/** `Bun.listen`, for sockets whose `data` is `T`. */
export interface BunListen<T> {
  listen(options: {
    hostname: string;
    port: number;
    socket: {
      open(socket: BunSocket<T>): void;
      data(socket: BunSocket<T>, chunk: Uint8Array): void;
      drain?(socket: BunSocket<T>): void;
      close(socket: BunSocket<T>): void;
    };
  }): unknown;
}

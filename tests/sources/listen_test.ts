import { describe, it as test } from "../_testing.ts";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Transport } from "../../core/mod.ts";
import {
  listen,
  type Listener,
  ListenError,
  listenNode,
  type ListenOptions,
} from "../../sources/mod.ts";
import { captureConsole } from "./_console.ts";
import { selfSignedCertificate } from "../_tls.ts";
import { until } from "../_until.ts";
import {
  Accepted,
  Client,
  connect,
  connectTls,
  pattern,
  readAll,
  readBytes,
  refused,
  sleep,
  stillPending,
  type Target,
  within,
} from "./_socket_client.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
type ListenFn = (options?: ListenOptions) => Promise<Listener>;
const nativeRuntime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const hasIpv6Loopback = Object.values(networkInterfaces()).some((addresses) =>
  addresses?.some((a) => a.address === "::1")
);

/**
 * The bytes the kernel holds for the peer on the server's end of a loopback
 * TCP connection, from its socket table (Linux); `null` once that socket is
 * gone (or closed).
 */
function queuedBytes(connection: { server: number; client: number }): number | null {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = existsSync(table) ? readFileSync(table, "latin1").split("\n").slice(1) : [];
    for (const line of lines) {
      // sl local_address rem_address st tx_queue:rx_queue ...
      const [, local, remote, state, queues] = line.trim().split(/\s+/);
      if (local === undefined || remote === undefined) continue;
      if (!local.endsWith(`:${hex(connection.server)}`)) continue;
      if (!remote.endsWith(`:${hex(connection.client)}`)) continue;
      if (state === "07") return null; // CLOSE
      return parseInt(queues.split(":")[0], 16);
    }
  }
  return null;
}

/**
 * Closes a connection from both ends (the client's FIN read, then the
 * server's), and waits until the kernel has let go of the server's socket.
 */
async function closedBothWays(
  transport: Transport,
  client: Client,
  serverPort: number,
): Promise<void> {
  const connection = { server: serverPort, client: client.socket.localPort! };
  client.end();
  const reader = transport.readable.getReader();
  assert.equal((await within(reader.read(), 2000, "the end")).done, true);
  await transport.writable.close();
  assert.equal(await within(client.closed, 2000, "the close"), null);
  await until(() => queuedBytes(connection) === null, 5000, "the server's socket gone");
}

/** Connects and resolves once the server has ended the connection, however it did. */
function dropped(target: Target): Promise<void> {
  return new Promise((resolve) => {
    const socket = "path" in target
      ? netConnect(target.path)
      : netConnect(target.port, target.host);
    socket.on("error", () => {});
    socket.on("end", () => socket.destroy());
    socket.on("close", () => resolve());
  });
}

/** Everything a test opened, closed at its end whatever happened. */
class Scope {
  constructor(readonly listenWith: ListenFn) {}
  listeners: Listener[] = [];
  clients: Client[] = [];
  transports: Transport[] = [];

  async listen(options: ListenOptions = { hostname: "127.0.0.1", port: 0 }): Promise<
    { listener: Listener; accepted: Accepted; target: Target }
  > {
    const listener = await this.listenWith(options);
    this.listeners.push(listener);
    const accepted = new Accepted();
    listener.listen((transport) => {
      this.transports.push(transport);
      accepted.accept(transport);
    });
    const target: Target = listener.addr.transport === "unix"
      ? { path: listener.addr.path! }
      : { port: listener.addr.port, host: listener.addr.hostname };
    return { listener, accepted, target };
  }

  async connect(target: Target): Promise<Client> {
    const client = await connect(target);
    this.clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.destroy();
    for (const transport of this.transports) {
      await transport.writable.abort().catch(() => {});
      await transport.readable.cancel().catch(() => {});
    }
    for (const listener of this.listeners) await listener.close();
    await Promise.all(this.clients.map((c) => within(c.closed, 2000, "client close")));
  }
}

async function scopedWith(
  listenWith: ListenFn,
  body: (scope: Scope) => Promise<void>,
): Promise<void> {
  const scope = new Scope(listenWith);
  try {
    await body(scope);
  } finally {
    await scope.close();
  }
}

/**
 * The listener behaviour, for one way of listening. `gaps` names tests to
 * skip, with the reason (a runtime's known deviation).
 */
function suite(
  title: string,
  listenWith: ListenFn,
  expectedRuntime: string,
  gaps: Record<string, string> = {},
): void {
  const scoped = (body: (scope: Scope) => Promise<void>): Promise<void> =>
    scopedWith(listenWith, body);
  const it = (name: string, fn: () => Promise<void>, skip: string | false = false): void => {
    test(name, { skip: gaps[name] ?? skip }, fn);
  };
  describe(title, () => {
    it("reports its runtime, and the real port when 0 was asked", () =>
      scoped(async (scope) => {
        const { listener } = await scope.listen();
        assert.equal(listener.runtime, expectedRuntime);
        assert.equal(listener.addr.transport, "tcp");
        assert.equal(listener.addr.hostname, "127.0.0.1");
        assert.ok(listener.addr.port > 0 && listener.addr.port < 65536);
      }));

    it("gives connections one local address object: the listener's, or per address on 0.0.0.0", () =>
      scoped(async (scope) => {
        const bound = await scope.listen();
        const wildcard = await scope.listen({ hostname: "0.0.0.0", port: 0 });
        const local: unknown[] = [];
        for (const { listener, accepted } of [bound, wildcard]) {
          const port = listener.addr.port;
          for (let i = 0; i < 2; i++) {
            await scope.connect({ host: "127.0.0.1", port });
            const { localAddr } = (await accepted.next()).info;
            assert.deepEqual(localAddr, { transport: "tcp", hostname: "127.0.0.1", port });
            local.push(localAddr);
          }
        }
        assert.equal(local[0], bound.listener.addr); // held once, not once per connection
        assert.equal(local[1], local[0]);
        assert.equal(local[3], local[2]);
      }));

    it("carries bytes both ways, in order, and reports both addresses", () =>
      scoped(async (scope) => {
        const { listener, accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        const transport = await accepted.next();
        assert.deepEqual(transport.info.remoteAddr, {
          transport: "tcp",
          hostname: "127.0.0.1",
          port: client.socket.localPort,
        });
        assert.deepEqual(transport.info.localAddr, {
          transport: "tcp",
          hostname: "127.0.0.1",
          port: listener.addr.port,
        });
        assert.equal(transport.info.tls, false);

        const up = pattern(1 << 20, 1);
        const down = pattern(1 << 20, 2);
        const reader = transport.readable.getReader();
        const writer = transport.writable.getWriter();
        const [received] = await within(
          Promise.all([
            readBytes(reader, up.length),
            client.write(up),
            writer.write(down).then(() => client.waitForBytes(down.length)),
          ]),
          10_000,
          "1 MiB each way",
        );
        assert.deepEqual(received, up);
        assert.deepEqual(client.bytes(), down);
      }));

    it(
      "still reports the peer's address it gave once the connection is gone",
      () =>
        scoped(async (scope) => {
          const { listener, accepted, target } = await scope.listen();
          const client = await scope.connect(target);
          const transport = await accepted.next();
          const peer = { transport: "tcp", hostname: "127.0.0.1", port: client.socket.localPort };
          assert.deepEqual(transport.info.remoteAddr, peer);
          await closedBothWays(transport, client, listener.addr.port);
          // Bun reads the address from the socket when first asked, and a closed socket has none.
          assert.deepEqual(transport.info.remoteAddr, peer);
        }),
      process.platform === "linux" ? false : "reads the kernel's socket table (Linux)",
    );

    it(
      "reads the peer's address when first asked: the unknown one if only once the connection is gone",
      () =>
        scoped(async (scope) => {
          const { listener, accepted, target } = await scope.listen();
          const client = await scope.connect(target);
          const transport = await accepted.next();
          await closedBothWays(transport, client, listener.addr.port);
          assert.deepEqual(transport.info.remoteAddr, { transport: "tcp", hostname: "", port: 0 });
        }),
      expectedRuntime === "deno"
        ? "Deno's accept gives both addresses at once"
        : process.platform === "linux"
        ? false
        : "reads the kernel's socket table (Linux)",
    );

    it("ends the readable on the peer's FIN, and the server can still answer (half-close)", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        const transport = await accepted.next();
        await client.write("question");
        client.end();
        const reader = transport.readable.getReader();
        assert.equal(await within(readAll(reader), 2000, "the end"), "question");
        const writer = transport.writable.getWriter();
        await writer.write(encode("answer"));
        await writer.close();
        await within(client.ended, 2000, "the server's FIN");
        assert.equal(client.text(), "answer");
        assert.equal(await within(client.closed, 2000, "the close"), null);
      }));

    it("writable.close() sends what is queued, then a FIN; the peer's FIN then closes all", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        const transport = await accepted.next();
        const writer = transport.writable.getWriter();
        void writer.write(encode("one "));
        void writer.write(encode("two"));
        await writer.close();
        await within(client.ended, 2000, "the server's FIN");
        assert.equal(client.text(), "one two");
        // Our side still reads after our FIN.
        await client.write("late");
        const reader = transport.readable.getReader();
        assert.equal(decode((await reader.read()).value!), "late");
        client.end();
        assert.equal((await within(reader.read(), 2000, "the end")).done, true);
        assert.equal(await within(client.closed, 2000, "the close"), null);
      }));

    it("abort() drops the connection at once: pending writes fail, the peer sees it closed", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        client.socket.pause();
        const transport = await accepted.next();
        const writer = transport.writable.getWriter();
        const pending = writer.write(pattern(64 << 20));
        pending.catch(() => {});
        assert.equal(await stillPending(pending, 100), true);
        await writer.abort(new Error("test abort"));
        await assert.rejects(pending);
        client.socket.resume();
        // A reset on a TCP handle where the runtime can send one (Node, Bun), a FIN on Deno.
        await within(Promise.race([client.ended, client.closed]), 2000, "the peer noticing");
        // Far fewer than the 64 MiB written: the rest was dropped, not sent.
        assert.ok(client.received < 64 << 20, `received ${client.received}`);
      }));

    it("errors the readable when the peer resets the connection", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        const transport = await accepted.next();
        const reader = transport.readable.getReader();
        const read = reader.read();
        client.socket.resetAndDestroy();
        await within(assert.rejects(read), 2000, "the read failing");
      }));

    it("keeps a write pending while the peer does not read, and completes it once it does", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        client.socket.pause();
        const transport = await accepted.next();
        const writer = transport.writable.getWriter();
        const big = pattern(32 << 20, 3);
        const write = writer.write(big);
        assert.equal(await stillPending(write, 300), true, "a 32 MiB write fits no socket buffer");
        client.socket.resume();
        await within(write, 10_000, "the write once the peer reads");
        await client.waitForBytes(big.length, 10_000);
        assert.deepEqual(client.bytes(), big);
      }));

    it("reads from the socket only while the consumer pulls (the peer's send blocks)", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        const transport = await accepted.next();
        const big = pattern(32 << 20, 4);
        const sent = client.write(big);
        assert.equal(await stillPending(sent, 300), true, "the client's send is not flushed");
        const reader = transport.readable.getReader();
        const received = await within(readBytes(reader, big.length), 10_000, "32 MiB");
        await within(sent, 5000, "the client's send once the server reads");
        assert.deepEqual(received, big);
      }));

    it(
      "listens on IPv6 ::1",
      () =>
        scoped(async (scope) => {
          const { listener, accepted, target } = await scope.listen({ hostname: "::1", port: 0 });
          assert.equal(listener.addr.hostname, "::1");
          const client = await scope.connect(target);
          const transport = await accepted.next();
          assert.equal(transport.info.remoteAddr.hostname, "::1");
          assert.equal(transport.info.remoteAddr.port, client.socket.localPort);
          await client.write("v6");
          assert.equal(decode(await readBytes(transport.readable.getReader(), 2)), "v6");
        }),
      hasIpv6Loopback ? false : "no ::1 loopback address on this machine",
    );

    it("listens on a Unix socket, and removes it on close()", async () => {
      const dir = mkdtempSync(join(tmpdir(), "hussar-unix-"));
      try {
        await scoped(async (scope) => {
          const path = join(dir, "s.sock");
          const { listener, accepted, target } = await scope.listen({ path });
          assert.deepEqual(listener.addr, { transport: "unix", hostname: "", port: 0, path });
          const client = await scope.connect(target);
          const transport = await accepted.next();
          assert.equal(transport.info.remoteAddr.transport, "unix");
          assert.equal(transport.info.localAddr.path, path);
          await client.write("ping");
          assert.equal(decode(await readBytes(transport.readable.getReader(), 4)), "ping");
          const writer = transport.writable.getWriter();
          await writer.write(encode("pong"));
          await writer.close();
          await within(client.ended, 2000, "the server's FIN");
          assert.equal(client.text(), "pong");
          await listener.close();
          assert.equal(existsSync(path), false, "close() removes the socket file");
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("serves TLS: info.tls, ALPN http/1.1, bytes both ways, half-close", () =>
      scoped(async (scope) => {
        const { listener, accepted } = await scope.listen({
          hostname: "127.0.0.1",
          port: 0,
          tls: selfSignedCertificate(),
        });
        const client = await connectTls(listener.addr.port, ["http/1.1"]);
        scope.clients.push(client);
        assert.equal(client.socket.alpnProtocol, "http/1.1");
        const transport = await accepted.next();
        assert.equal(transport.info.tls, true);
        assert.equal(transport.info.alpnProtocol, "http/1.1");
        assert.equal(transport.info.remoteAddr.port, client.socket.localPort);
        const up = pattern(256 << 10, 5);
        await client.write(up);
        client.end();
        const reader = transport.readable.getReader();
        assert.deepEqual(await within(readBytes(reader, up.length), 5000, "256 KiB"), up);
        assert.equal((await within(reader.read(), 2000, "the end")).done, true);
        const down = pattern(4 << 20, 6);
        const writer = transport.writable.getWriter();
        await writer.write(down);
        await writer.close();
        await within(client.ended, 5000, "the server's end");
        assert.deepEqual(client.bytes(), down);
      }));

    it("offers the alpnProtocols asked for, in order (h2 before http/1.1)", () =>
      scoped(async (scope) => {
        const { listener, accepted } = await scope.listen({
          hostname: "127.0.0.1",
          port: 0,
          tls: selfSignedCertificate(),
          alpnProtocols: ["h2", "http/1.1"],
        });
        const both = await connectTls(listener.addr.port, ["http/1.1", "h2"]);
        scope.clients.push(both);
        assert.equal((await accepted.next()).info.alpnProtocol, "h2");
        const old = await connectTls(listener.addr.port, ["http/1.1"]);
        scope.clients.push(old);
        assert.equal((await accepted.next()).info.alpnProtocol, "http/1.1");
      }));

    it("reports no ALPN protocol to a TLS client that offers none", () =>
      scoped(async (scope) => {
        const { listener, accepted } = await scope.listen({
          hostname: "127.0.0.1",
          port: 0,
          tls: selfSignedCertificate(),
        });
        scope.clients.push(await connectTls(listener.addr.port));
        const transport = await accepted.next();
        assert.equal(transport.info.tls, true);
        assert.equal(transport.info.alpnProtocol ?? null, null);
      }));

    it("close() refuses new connections; an accepted one keeps working", () =>
      scoped(async (scope) => {
        const { listener, accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        const transport = await accepted.next();
        await listener.close();
        assert.equal(await refused(target), true);
        await client.write("still here");
        assert.equal(decode(await readBytes(transport.readable.getReader(), 10)), "still here");
        const writer = transport.writable.getWriter();
        await writer.write(encode("yes"));
        await client.waitForBytes(3);
        assert.equal(client.text(), "yes");
        await listener.close(); // idempotent
      }));

    it("hands over connections made before listen(accept) was called", () =>
      scoped(async (scope) => {
        const listener = await listenWith({ hostname: "127.0.0.1", port: 0 });
        scope.listeners.push(listener);
        const client = await scope.connect({ port: listener.addr.port, host: "127.0.0.1" });
        await client.write("early");
        await sleep(50);
        const accepted = new Accepted();
        listener.listen((transport) => {
          scope.transports.push(transport);
          accepted.accept(transport);
        });
        const transport = await accepted.next();
        assert.equal(decode(await readBytes(transport.readable.getReader(), 5)), "early");
      }));

    it("rejects with a ListenError (code EADDRINUSE, the address) when the port is in use", () =>
      scoped(async (scope) => {
        const { listener } = await scope.listen();
        const port = listener.addr.port;
        await assert.rejects(
          listenWith({ hostname: "127.0.0.1", port }),
          (error: unknown) => {
            assert.ok(error instanceof ListenError);
            assert.equal(
              error.message,
              `hussar: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`,
            );
            assert.equal(error.code, "EADDRINUSE");
            assert.equal(error.address, `127.0.0.1:${port}`);
            assert.equal(error.hostname, "127.0.0.1");
            assert.equal(error.port, port);
            assert.equal(error.path, undefined);
            assert.ok(error.cause instanceof Error, "the runtime's own error");
            return true;
          },
        );
      }));

    it("rejects with a ListenError when the TLS material is not PEM", async () => {
      await assert.rejects(
        listenWith({
          hostname: "127.0.0.1",
          port: 0,
          tls: { cert: "not a cert", key: "not a key" },
        }),
        (error: unknown) => {
          assert.ok(error instanceof ListenError);
          assert.match(
            error.message,
            /cannot listen on 127\.0\.0\.1:0 \(TLS\): invalid TLS certificate or key/,
          );
          assert.equal(error.code, "ERR_TLS_INVALID_MATERIAL");
          return true;
        },
      );
    });

    it("loses only the connection whose accept callback throws, and says so", () =>
      scoped(async (scope) => {
        const listener = await listenWith({ hostname: "127.0.0.1", port: 0 });
        scope.listeners.push(listener);
        const accepted = new Accepted();
        let calls = 0;
        const logged = captureConsole();
        try {
          listener.listen((transport) => {
            if (++calls === 1) throw new Error("a bug in the accept callback");
            scope.transports.push(transport);
            accepted.accept(transport);
          });
          const target = { port: listener.addr.port, host: "127.0.0.1" };
          // Dropped: the client sees its connection end (a reset, or a FIN on Deno), maybe even
          // before its connect completes.
          await within(dropped(target), 5000, "the lost connection ending");
          const client = await scope.connect(target);
          const transport = await accepted.next();
          await client.write("next");
          assert.equal(decode(await readBytes(transport.readable.getReader(), 4)), "next");
        } finally {
          logged.restore();
        }
        assert.equal(logged.lines.length, 1);
        assert.match(logged.lines[0], /^error: hussar: accept callback failed: .*a bug/);
      }));

    it(
      "abort() resets a peer that does not read: the kernel keeps none of the queued bytes",
      () =>
        scoped(async (scope) => {
          const { listener, accepted, target } = await scope.listen();
          const client = await scope.connect(target);
          client.socket.pause();
          const transport = await accepted.next();
          const writer = transport.writable.getWriter();
          const pending = writer.write(pattern(64 << 20));
          pending.catch(() => {});
          assert.equal(await stillPending(pending, 100), true);
          const connection = { server: listener.addr.port, client: client.socket.localPort! };
          // Waited for, not read once: Node's compatibility layers hand bytes to the kernel later.
          await until(
            () => (queuedBytes(connection) ?? 0) > 0,
            5000,
            "the kernel holding bytes for the peer",
          );
          await writer.abort(new Error("write timeout"));
          // A FIN would wait behind the queued bytes, which the kernel would keep for as long as
          // the peer does not read; a reset drops them and the socket with them.
          await until(
            () => queuedBytes(connection) === null,
            5000,
            `the server's socket gone (it still holds ${queuedBytes(connection)} bytes)`,
          );
          client.socket.resume();
          await within(Promise.race([client.ended, client.closed]), 5000, "the peer noticing");
        }),
      process.platform === "linux" ? false : "reads the kernel's socket table (Linux)",
    );

    it("rejects malformed options before touching the network", async () => {
      await assert.rejects(listenWith({ port: 70000 }), RangeError);
      await assert.rejects(listenWith({ port: 1.5 }), RangeError);
      await assert.rejects(listenWith({ path: "" }), TypeError);
      await assert.rejects(listenWith({ tls: { cert: "", key: "" } }), TypeError);
      await assert.rejects(listenWith({ alpnProtocols: [] }), TypeError);
      await assert.rejects(listenWith({ alpnProtocols: [""] }), TypeError);
    });

    it("does not reset a peer whose input was left unread: it gets the whole answer", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        const client = await scope.connect(target);
        const transport = await accepted.next();
        const reader = transport.readable.getReader();
        await client.write("request");
        await reader.read();
        // More input the server will never read.
        void client.write(pattern(8 << 20)).catch(() => {});
        await sleep(20);
        // The answer waits in the client's buffers while the server closes: a reset would drop it.
        client.socket.pause();
        const answer = pattern(256 << 10, 7);
        const writer = transport.writable.getWriter();
        await within(writer.write(answer), 2000, "the answer handed over");
        await writer.close();
        await reader.cancel();
        await sleep(100);
        client.socket.resume();
        await within(client.ended, 5000, "the server's FIN");
        await client.waitForBytes(answer.length);
        assert.deepEqual(client.bytes(), answer);
        client.end();
        assert.equal(await within(client.closed, 3000, "the close"), null);
      }));

    it("ends a lingering close once its bound passes, though the peer never sends its FIN", () =>
      scoped(async (scope) => {
        const { accepted, target } = await scope.listen();
        // Two lingering at once: one sweep of the shared bound closes both.
        const clients = [await scope.connect(target), await scope.connect(target)];
        for (const client of clients) {
          const transport = await accepted.next();
          const reader = transport.readable.getReader();
          await client.write("request");
          await reader.read();
          await transport.writable.close();
          await reader.cancel(); // input left unread: the server lingers, reading and dropping
          await within(client.ended, 2000, "the server's FIN");
        }
        // The peers keep sending and never end: only the bound (2 s) closes the sockets, after
        // which what they send is refused (a reset) and they see their connections closed.
        const chatter = setInterval(() => {
          for (const client of clients) client.write("more").catch(() => {});
        }, 50);
        try {
          for (const client of clients) await within(client.closed, 10_000, "the bound's close");
        } finally {
          clearInterval(chatter);
        }
      }));
  });
}

suite(
  `listen() on ${nativeRuntime}`,
  listen,
  nativeRuntime,
  nativeRuntime === "deno"
    ? {
      "abort() resets a peer that does not read: the kernel keeps none of the queued bytes":
        "Deno cannot ask for a reset: a Deno.Conn has no SO_LINGER (nor a descriptor to set it on), and its close() shuts the write side down (a FIN after the queued bytes) before closing; the kernel resets only when input is left unread",
    }
    : {},
);
// node:net through Deno's and Bun's Node compatibility, for those who pick listenNode there.
if (nativeRuntime !== "node") {
  suite(
    `listenNode() on ${nativeRuntime}`,
    listenNode,
    "node",
    nativeRuntime === "deno"
      ? {
        "serves TLS: info.tls, ALPN http/1.1, bytes both ways, half-close":
          "Deno's node:tls loses the peer's end after a paused TLS socket filled its buffer (listen() uses Deno.listenTls)",
        "rejects with a ListenError when the TLS material is not PEM":
          "Deno's node:tls accepts any cert/key at createServer and fails only at the handshake",
      }
      : {},
  );
}

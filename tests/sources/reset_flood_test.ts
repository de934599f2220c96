/**
 * Clients that connect and reset (SO_LINGER 0) before the server accepts
 * them: each is skipped at once and silently, and normal clients keep being
 * answered. On Deno such a client makes `accept()` fail (ENOTCONN, os error
 * 107); a server that logs and pauses for each lets the backlog fill with
 * more of them, a stall that feeds itself.
 *
 * To have every reset land before the accept, the resets come from a child
 * process run synchronously: while it connects and resets, this process (so
 * its accept loop) is blocked, and the reset connections wait in the
 * kernel's backlog, where the server finds them once it runs again.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import process from "node:process";
import { serve } from "../../serve/mod.ts";
import { captureConsole } from "./_console.ts";
import { within } from "./_socket_client.ts";

/** Rounds of resets, each followed by normal requests. */
const ROUNDS = 3;
/** Resets per round: well within the listen backlog (511 on the three runtimes). */
const RESETS = 100;
/** Normal requests after each round, each on a new connection. */
const PROBES = 5;

/**
 * Connects `count` clients to `port` from a child process and resets each as
 * soon as it is connected; returns how many were connected and reset.
 */
function resetBurst(port: number, count: number): number {
  const script = `import("node:net").then(({ connect }) => {
    let left = ${count}, reset = 0;
    for (let i = 0; i < ${count}; i++) {
      const socket = connect(${port}, "127.0.0.1");
      socket.on("connect", () => { reset++; socket.resetAndDestroy(); });
      socket.on("error", () => {});
      socket.on("close", () => { if (--left === 0) console.log(reset); });
    }
  });`;
  const args = "Deno" in globalThis ? ["eval", script] : ["-e", script];
  const child = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 30_000 });
  assert.equal(child.status, 0, `the resetting child failed: ${child.error ?? child.stderr}`);
  return Number(child.stdout.trim());
}

/** One request on a new connection; resolves with the status line. */
function probe(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let response = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (response += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(response.slice(0, response.indexOf("\r\n"))));
    socket.write("GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n");
  });
}

describe("a flood of clients that reset before they are accepted", () => {
  it(
    "is skipped silently, and normal clients keep being answered",
    { timeout: 120_000 },
    async () => {
      const logged = captureConsole();
      const server = serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        () => new Response("ok"),
      );
      try {
        await server.ready;
        const port = server.addr.port;
        let waitedMs = 0;
        for (let round = 0; round < ROUNDS; round++) {
          assert.equal(resetBurst(port, RESETS), RESETS, "every client connected, then reset");
          // Measured from when this process runs again: the time the server needs to get through
          // the backlog of reset connections and answer. Pausing 50 ms for each would take 5 s.
          const start = Date.now();
          const answers = await within(
            Promise.all(Array.from({ length: PROBES }, () => probe(port))),
            10_000,
            `round ${round + 1}: ${PROBES} requests after ${RESETS} resets`,
          );
          waitedMs += Date.now() - start;
          assert.deepEqual(answers, Array(PROBES).fill("HTTP/1.1 200 OK"));
        }
        assert.ok(
          waitedMs < 10_000,
          `${ROUNDS * PROBES} requests after ${
            ROUNDS * RESETS
          } resets waited ${waitedMs} ms in all`,
        );
        // Nothing per reset: a flood of resets must not flood the log either.
        assert.deepEqual(logged.lines, []);
      } finally {
        logged.restore();
        await server.close();
      }
    },
  );
});

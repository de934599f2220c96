/**
 * The soak, short: 10,000 keep-alive requests over 16 connections with a
 * mix of methods, bodies (Content-Length and chunked) and pipelining, every
 * response checked byte for byte; no error, no reconnect, and nothing left
 * once the clients leave. `scripts/soak.ts` runs the long version and
 * watches the server's memory.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { until } from "../_until.ts";
import { serve } from "../../serve/mod.ts";
import { runSoak, soakHandler } from "../../scripts/_soak_client.ts";

const REQUESTS = 10_000;
const CONNECTIONS = 16;

describe("soak (short)", () => {
  it(`answers ${REQUESTS} mixed, pipelined requests over ${CONNECTIONS} connections`, {
    timeout: 60_000,
  }, async () => {
    const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, soakHandler);
    await server.ready;
    try {
      const quarters: number[] = [];
      const result = await runSoak({
        port: server.addr.port,
        requests: REQUESTS,
        connections: CONNECTIONS,
        onQuarter: (quarter) => quarters.push(quarter),
      });
      assert.deepEqual(result.samples, []);
      assert.equal(result.errors, 0);
      assert.equal(result.answered, REQUESTS);
      assert.deepEqual(quarters, [1, 2, 3, 4]);
      assert.equal(server.hussar.stats().accepted, CONNECTIONS, "no connection was replaced");
      await until(() => server.hussar.connectionCount === 0, 5000, "every connection dropped");
      assert.equal(server.hussar.scheduler.timerCount, 0, "timers left");
      assert.equal(server.hussar.scheduler.pendingWaitCount, 0, "Promise waits left");
    } finally {
      await server.close();
    }
  });
});

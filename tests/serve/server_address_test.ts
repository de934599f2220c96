/** The server object's address, as Bun's and srvx's give it: `port` and `hostname` besides `addr` and `url`. */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../serve/mod.ts";

const hello = (): Response => new Response("hello");

describe("HttpServer: port and hostname", () => {
  for (const workers of [0, 1]) {
    it(`give the TCP address listened on, the port picked for 0 (workers: ${workers})`, async () => {
      const server = serve({ hostname: "127.0.0.1", port: 0, workers, onListen() {} }, hello);
      assert.throws(() => server.port, /await server.ready/, "not before it listens");
      assert.throws(() => server.hostname, /await server.ready/);
      await server.ready;
      try {
        assert.equal(server.hostname, "127.0.0.1");
        assert.equal(typeof server.port, "number");
        assert.ok(server.port! > 0);
        assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
        const response = await fetch(`http://${server.hostname}:${server.port}/`);
        assert.equal(await response.text(), "hello");
      } finally {
        await server.shutdown();
      }
    });
  }

  it("are undefined on a Unix socket, whose path addr gives", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-addr-"));
    const path = join(dir, "s.sock");
    const server = serve({ path, onListen() {} }, hello);
    try {
      await server.ready;
      assert.equal(server.port, undefined);
      assert.equal(server.hostname, undefined);
      assert.equal(server.addr.path, path);
    } finally {
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

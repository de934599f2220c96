/**
 * listen() on a Unix socket path that already exists: a stale socket (its
 * server died without unlinking it) is replaced; a live socket or any other
 * file is left alone and the listen fails with a clear error.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, within } from "./_socket_client.ts";
import { listen } from "../../sources/listen.ts";

/** Leaves a socket file with nobody behind it: a node process listens, then is killed. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn("node", [
    "-e",
    `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`,
  ], { stdio: ["ignore", "pipe", "inherit"] });
  await within(
    new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("error", reject);
    }),
    10_000,
    "a node process listening on the socket",
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  assert.ok(lstatSync(path).isSocket(), "the killed server left its socket file");
}

function tempPath(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "hussar-stale-"));
  return { dir, path: join(dir, "s.sock") };
}

describe("listen() on an existing Unix socket path", () => {
  it("removes a stale socket file and listens", async () => {
    const { dir, path } = tempPath();
    try {
      await staleSocket(path);
      const listener = await listen({ path });
      listener.listen((transport) => {
        const writer = transport.writable.getWriter();
        writer.write(new TextEncoder().encode("hi")).then(() => writer.close());
      });
      const client = await connect({ path });
      await within(client.ended, 5000, "the greeting");
      assert.equal(client.text(), "hi");
      client.destroy();
      await listener.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves a live socket alone: the second listen fails, the first still serves", async () => {
    const { dir, path } = tempPath();
    try {
      const first = await listen({ path });
      first.listen((transport) => void transport.writable.close());
      await assert.rejects(listen({ path }), /cannot listen on unix:.*address already in use/);
      const client = await connect({ path });
      await within(client.ended, 5000, "the first listener closing our connection");
      client.destroy();
      await first.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves a regular file alone and fails", async () => {
    const { dir, path } = tempPath();
    try {
      writeFileSync(path, "not a socket");
      await assert.rejects(listen({ path }), /cannot listen on unix:/);
      assert.ok(existsSync(path));
      assert.equal(readFileSync(path, "utf8"), "not a socket");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start, type UploadResult } from "../../examples/upload.ts";
import { startExample } from "./_run.ts";

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), "hussar-upload-test-"))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic bytes, different in each chunk. */
function chunkOf(index: number, size: number): Uint8Array {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < size; i++) chunk[i] = (index * 31 + i * 7) & 0xff;
  return chunk;
}

/** PUTs `count` chunks of `size` bytes with node:http, writing as the socket drains. */
function put(
  port: number,
  count: number,
  size: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; sha256: string }> {
  const hash = createHash("sha256");
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port, path: "/upload", method: "PUT", headers },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on(
          "end",
          () => resolve({ status: response.statusCode!, text, sha256: hash.digest("hex") }),
        );
      },
    );
    request.on("error", reject);
    let index = 0;
    const writeMore = (): void => {
      while (index < count) {
        const chunk = chunkOf(index++, size);
        hash.update(chunk);
        if (!request.write(chunk)) return void request.once("drain", writeMore);
      }
      request.end();
    };
    writeMore();
  });
}

describe("examples/upload", () => {
  it("streams a 48 MiB upload to a file and reports its size and SHA-256", async () => {
    const server = await start({ port: 0, dir });
    try {
      const count = 48;
      const size = 1024 * 1024;
      const { status, text, sha256 } = await put(server.addr.port, count, size);
      assert.equal(status, 201, text);
      const result = JSON.parse(text) as UploadResult;
      assert.equal(result.bytes, count * size);
      assert.equal(result.sha256, sha256);
      const path = join(dir, result.file);
      assert.equal(statSync(path).size, count * size);
      assert.equal(createHash("sha256").update(readFileSync(path)).digest("hex"), sha256);
      rmSync(path);
    } finally {
      await server.shutdown();
    }
  });

  it("refuses a body over the limit with 413 and leaves no partial file", async () => {
    const server = await start({ port: 0, dir, maxBytes: 1024 * 1024 });
    try {
      const before = readdirSync(dir).length;
      const declared = await put(server.addr.port, 2, 1024 * 1024, {
        "content-length": String(2 * 1024 * 1024),
      });
      assert.equal(declared.status, 413);
      const chunked = await put(server.addr.port, 4, 512 * 1024);
      assert.equal(chunked.status, 413);
      assert.equal(readdirSync(dir).length, before);
    } finally {
      await server.close();
    }
  });

  it("answers 405 with Allow for other methods", async () => {
    const server = await start({ port: 0, dir });
    try {
      const response = await fetch(new URL("/upload", server.url));
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), "PUT, POST");
      await response.body?.cancel();
    } finally {
      await server.shutdown();
    }
  });

  it("runs as a program, writing into UPLOAD_DIR", async () => {
    const program = await startExample("upload", { UPLOAD_DIR: dir });
    try {
      const response = await fetch(new URL("/upload", program.url), {
        method: "PUT",
        body: "tiny",
      });
      const result = await response.json() as UploadResult;
      assert.equal(result.bytes, 4);
      assert.equal(readFileSync(join(dir, result.file), "utf8"), "tiny");
    } finally {
      await program.stop();
    }
  });
});

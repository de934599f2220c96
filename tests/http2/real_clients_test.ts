/**
 * `serve()` with default options against nghttp2's clients (Debian's
 * nghttp2-client): nghttp's concurrent requests with a large header and a
 * body, and h2load's 2000 requests on 4 connections, 10 streams each at a
 * time, with no failure; the server holds nothing once they are gone.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import process from "node:process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  H2LOAD,
  h2loadCompletes,
  holdsNothing,
  NGHTTP,
  run,
  skipWithout,
  start,
} from "./_serve.ts";

const handler = async (request: Request): Promise<Response> => {
  const body = request.body === null ? "" : `${(await request.arrayBuffer()).byteLength} octets`;
  return new Response(`${request.method} ${new URL(request.url).pathname} ${body}`, {
    headers: { "x-long": request.headers.get("x-long")?.length.toString() ?? "none" },
  });
};

describe("serve() over HTTP/2 against nghttp2's clients", () => {
  it("serves nghttp's concurrent requests, a 3000-octet field and a 100 KB upload", {
    skip: skipWithout(NGHTTP, "nghttp2-client"),
  }, async () => {
    const server = await start(handler);
    const base = `http://127.0.0.1:${server.port}`;
    const upload = join(tmpdir(), `hussar-h2-upload-${process.pid}`);
    writeFileSync(upload, new Uint8Array(100_000));
    const { code, out, err } = await run(NGHTTP, [
      "--timeout=20",
      "-H",
      `x-long: ${"v".repeat(3000)}`,
      "-d",
      upload,
      `${base}/one`,
      `${base}/two`,
      `${base}/three`,
    ]).finally(() => rmSync(upload, { force: true }));
    assert.equal(code, 0, out + err);
    for (const path of ["/one", "/two", "/three"]) {
      assert.ok(out.includes(`POST ${path} 100000 octets`), out);
    }
    await holdsNothing(server);
  });

  it("completes h2load's 2000 requests, 10 at a time on each of 4 connections, every one a 200", {
    skip: skipWithout(H2LOAD, "nghttp2-client"),
  }, async () => {
    const server = await start(handler);
    await h2loadCompletes(server.port!);
    await holdsNothing(server);
  });
});

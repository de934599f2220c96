/**
 * A large upload streamed to disk: `PUT /upload` (or POST) writes the
 * request body chunk by chunk to a new file in the upload folder, hashing
 * it on the way, and answers `{ file, bytes, sha256 }`. The body is never
 * held in memory; the size limit is checked as it arrives (413 beyond it),
 * and a partial file is removed if the client goes away.
 *
 *   deno run -A examples/upload.ts
 *   curl -T big.iso http://127.0.0.1:8000/upload
 *
 * `UPLOAD_DIR` sets the folder (default: a new one in the system's temp folder).
 *
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { HttpError } from "../httputil/mod.ts";
import { type HttpServer, serve } from "../serve/mod.ts";
import { type ExampleOptions, isMain, listenOptions } from "./_main.ts";

/** Where uploads go and how large they may be. */
export interface UploadOptions extends ExampleOptions {
  /** The folder files are written to (default: `UPLOAD_DIR`, else a new temp folder). */
  dir?: string;
  /** The largest accepted body in bytes (default 1 GiB). */
  maxBytes?: number;
}

/** What an upload answers. */
export interface UploadResult {
  /** The name of the file written in the upload folder. */
  file: string;
  /** Bytes received. */
  bytes: number;
  /** SHA-256 of the bytes, hex. */
  sha256: string;
}

/** The example's handler, writing into `dir`. */
export function uploadHandler(dir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (new URL(request.url).pathname !== "/upload") {
      return new Response("PUT a body to /upload\n", { status: 404 });
    }
    if (request.method !== "PUT" && request.method !== "POST") {
      return new Response("PUT or POST\n", { status: 405, headers: { allow: "PUT, POST" } });
    }
    if (request.body === null) return new Response("no body\n", { status: 400 });
    const file = `${randomUUID()}.bin`;
    const path = join(dir, file);
    const handle = await open(path, "wx");
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      // One chunk at a time: the next is read from the socket only after this one is on disk.
      for await (const chunk of request.body) {
        hash.update(chunk);
        await handle.write(chunk);
        bytes += chunk.length;
      }
    } catch (error) {
      await handle.close();
      await rm(path, { force: true });
      // Over the size limit: say so. Otherwise the client is gone and nobody is left to answer.
      if (error instanceof HttpError) {
        return new Response(`${error.message}\n`, { status: error.status });
      }
      throw error;
    }
    await handle.close();
    const result: UploadResult = { file, bytes, sha256: hash.digest("hex") };
    return Response.json(result, { status: 201 });
  };
}

/** Starts the server; resolves once it listens. */
export async function start(options: UploadOptions = {}): Promise<HttpServer> {
  const dir = options.dir ?? process.env.UPLOAD_DIR ??
    mkdtempSync(join(tmpdir(), "hussar-uploads-"));
  const server = serve({
    ...listenOptions(options),
    maxBodyBytes: options.maxBytes ?? 1024 ** 3,
    onListen() {},
  }, uploadHandler(dir));
  await server.ready;
  return server;
}

if (isMain(import.meta)) {
  const server = await start();
  console.log(`upload example listening on ${server.url} (PUT a file to ${server.url}upload)`);
}

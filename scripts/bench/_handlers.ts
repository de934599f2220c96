/**
 * The benchmark's routes, as one fetch handler (served by hussar, Deno.serve,
 * Bun.serve and srvx) and the same routes for `node:http`'s native API.
 *
 * - `GET /`: `Hello, World!` (13 bytes)
 * - `POST /echo`: the request body back, as `application/json`
 * - `GET /stream`: 1 MiB sent as a stream of 64 KiB chunks (chunked encoding)
 * - `POST /upload`: the body read to the end; answers its length
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";

/** The hello-world body. */
export const HELLO = "Hello, World!";
/** Size of one chunk of the streamed response. */
export const STREAM_CHUNK = 64 * 1024;
/** Chunks in the streamed response (1 MiB in all). */
export const STREAM_CHUNKS = 16;

const chunk = new Uint8Array(STREAM_CHUNK).fill(0x61);

/**
 * The routes as a fetch handler. `statusText` is set on every response when
 * given: srvx on Node otherwise sends an empty reason phrase
 * (`HTTP/1.1 200 `), which h2load's parser counts as a failed request.
 */
export function makeFetchHandler(statusText?: string): (request: Request) => Promise<Response> {
  const ok = statusText === undefined ? {} : { statusText };
  return async (request) => {
    const path = pathOf(request.url);
    if (path === "/") return new Response(HELLO, ok);
    if (path === "/echo") {
      return new Response(await request.text(), {
        ...ok,
        headers: { "content-type": "application/json" },
      });
    }
    if (path === "/stream") {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            // A fresh view each time: a stream may transfer or keep what it is given.
            controller.enqueue(chunk.slice());
            if (++sent === STREAM_CHUNKS) controller.close();
          },
        }),
        { ...ok, headers: { "content-type": "application/octet-stream" } },
      );
    }
    if (path === "/upload") {
      let total = 0;
      const reader = request.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
      }
      return new Response(String(total), ok);
    }
    return new Response("not found", { status: 404 });
  };
}

/** The routes as a fetch handler, responses with the default status text. */
export const fetchHandler: (request: Request) => Promise<Response> = makeFetchHandler();

/** The same routes on `node:http`'s own request and response objects. */
export function nodeHandler(request: IncomingMessage, response: ServerResponse): void {
  const path = request.url ?? "/";
  if (path === "/") {
    response.end(HELLO);
  } else if (path === "/echo") {
    const parts: Uint8Array[] = [];
    request.on("data", (part: Uint8Array) => parts.push(part));
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      response.end(Buffer.concat(parts));
    });
  } else if (path === "/stream") {
    response.setHeader("content-type", "application/octet-stream");
    let sent = 0;
    const more = (): void => {
      while (sent < STREAM_CHUNKS) {
        sent++;
        if (sent === STREAM_CHUNKS) {
          response.end(chunk.slice());
          return;
        }
        if (!response.write(chunk.slice())) {
          response.once("drain", more);
          return;
        }
      }
    };
    more();
  } else if (path === "/upload") {
    let total = 0;
    request.on("data", (part: Uint8Array) => (total += part.length));
    request.on("end", () => response.end(String(total)));
  } else {
    response.statusCode = 404;
    response.end("not found");
  }
}

const H2_HELLO = { ":status": 200, "content-type": "text/plain;charset=UTF-8" };
const H2_NOT_FOUND = { ":status": 404, "content-type": "text/plain;charset=UTF-8" };

/**
 * `GET /` (the HTTP/2 case's only route) on `node:http2`'s stream API, its
 * fastest; anything else is a 404.
 */
export function nodeHttp2Handler(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const found = headers[":path"] === "/";
  stream.respond(found ? H2_HELLO : H2_NOT_FOUND);
  stream.end(found ? HELLO : "not found");
}

function pathOf(url: string): string {
  // The path without building a URL object (the same cost for every contender).
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}

/**
 * A streamed response: `/count?to=N&every=MS` sends the numbers 1 to N, one
 * line every MS milliseconds, as they are produced (chunked encoding, with
 * backpressure). If the client leaves, the stream is cancelled and its timer
 * cleared.
 *
 *   deno run -A examples/streaming.ts    then: curl -N http://127.0.0.1:8000/count?to=5
 *
 * @module
 */
import { type HttpServer, serve } from "../serve/mod.ts";
import { type ExampleOptions, isMain, listenOptions } from "./_main.ts";

const encoder = new TextEncoder();

/** A stream of the lines `1\n` to `${to}\n`, `every` ms apart. */
export function countStream(to: number, every: number): ReadableStream<Uint8Array> {
  let next = 1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next > to) return controller.close();
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          controller.enqueue(encoder.encode(`${next++}\n`));
          resolve();
        }, next === 1 ? 0 : every);
      });
    },
    cancel() {
      clearTimeout(timer);
    },
  }, { highWaterMark: 0 });
}

/** The example's handler. */
export function streaming(request: Request): Response {
  const url = new URL(request.url);
  if (url.pathname !== "/count") {
    return new Response("try /count?to=10&every=200\n", { status: 404 });
  }
  const to = Number(url.searchParams.get("to") ?? 10);
  const every = Number(url.searchParams.get("every") ?? 200);
  if (!Number.isInteger(to) || to < 0 || to > 1_000_000 || !(every >= 0 && every <= 60_000)) {
    return new Response("to: 0..1000000, every: 0..60000 ms\n", { status: 400 });
  }
  return new Response(countStream(to, every), {
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** Starts the server; resolves once it listens. */
export async function start(options: ExampleOptions = {}): Promise<HttpServer> {
  const server = serve({ ...listenOptions(options), onListen() {} }, streaming);
  await server.ready;
  return server;
}

if (isMain(import.meta)) {
  const server = await start();
  console.log(`streaming example listening on ${server.url} (try ${server.url}count?to=5)`);
}

/**
 * Hello world: the smallest hussar server.
 *
 *   deno run -A examples/hello.ts        bun examples/hello.ts
 *   node npm/esm/examples/hello.js       (after `npm run build`)
 *
 * `PORT` and `HOST` choose where it listens (default 127.0.0.1:8000).
 *
 * @module
 */
import { type HttpServer, serve } from "../serve/mod.ts";
import { type ExampleOptions, isMain, listenOptions } from "./_main.ts";

/** Greets the client by path: `/` says hello, `/ada` says hello, ada. */
export function hello(request: Request): Response {
  const name = decodeURIComponent(new URL(request.url).pathname.slice(1));
  return new Response(name ? `hello, ${name}\n` : "hello\n", {
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** Starts the server; resolves once it listens. */
export async function start(options: ExampleOptions = {}): Promise<HttpServer> {
  const server = serve({ ...listenOptions(options), onListen() {} }, hello);
  await server.ready;
  return server;
}

if (isMain(import.meta)) {
  const server = await start();
  console.log(`hello example listening on ${server.url}`);
}

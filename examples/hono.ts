/**
 * A Hono app served by hussar: `serve()` takes any fetch handler, and
 * `app.fetch` is one. (As a module with `export default app`, the same app
 * also runs under the CLI: `npx hussar app.js`.)
 *
 *   deno run -A examples/hono.ts         bun examples/hono.ts
 *
 * @module
 */
import { Hono } from "hono";
import { type HttpServer, serve } from "../serve/mod.ts";
import { type ExampleOptions, isMain, listenOptions } from "./_main.ts";

/** The Hono application: a greeting, a route parameter, JSON in and out, and a 404. */
export const app: Hono = new Hono();
app.get("/", (c) => c.text("hello from hono on hussar"));
app.get("/hello/:name", (c) => c.json({ hello: c.req.param("name") }));
app.post("/sum", async (c) => {
  const numbers = await c.req.json<unknown>();
  if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === "number")) {
    return c.json({ error: "POST a JSON array of numbers" }, 400);
  }
  return c.json({ sum: numbers.reduce((a, b) => a + b, 0) });
});
app.notFound((c) => c.text("no such route", 404));

/** Starts the server; resolves once it listens. */
export async function start(options: ExampleOptions = {}): Promise<HttpServer> {
  const server = serve({ ...listenOptions(options), onListen() {} }, app.fetch);
  await server.ready;
  return server;
}

if (isMain(import.meta)) {
  const server = await start();
  console.log(`hono example listening on ${server.url}`);
}

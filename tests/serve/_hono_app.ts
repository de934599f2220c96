/**
 * A Hono application exported the way Hono documents it (`export default
 * app`), for the interop tests: served by `serve(app.fetch)` and by the CLI.
 */
import { Hono } from "hono";
import type { ServeHandlerInfo } from "../../serve/mod.ts";

/** hussar hands its handler info to Hono as the environment (`c.env`). */
type Env = { Bindings: ServeHandlerInfo };

const app = new Hono<Env>();

app.use("*", async (c, next) => {
  await next();
  c.header("x-middleware", "ran");
});
app.get("/hello/:name", (c) => c.text(`hello ${c.req.param("name")}, ${c.req.query("greeting")}`));
app.post("/json", async (c) => c.json({ received: await c.req.json(), via: "hono" }, 201));
app.post("/form", async (c) => {
  const body = await c.req.parseBody();
  const file = body.upload as File;
  return c.json({ field: body.field, file: file.name, text: await file.text() });
});
app.get("/peer", (c) => c.text(c.env.remoteAddr.hostname));
app.get("/stream", (c) => {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === 3) return controller.close();
      controller.enqueue(encoder.encode(`part ${++i}\n`));
    },
  });
  return c.body(body, 200, { "content-type": "text/plain" });
});
app.notFound((c) => c.text(`no route for ${c.req.path}`, 404));

// A default export: the shape Hono documents and the CLI serves.
export default app;

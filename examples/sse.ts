/**
 * Server-sent events: `/events` sends a numbered tick every `every` ms
 * (default 1000) with `sseResponse()`; a client reconnecting with
 * `Last-Event-ID` resumes after that id. `/` is a page that shows them with
 * `EventSource`.
 *
 *   deno run -A examples/sse.ts          then open http://127.0.0.1:8000/
 *
 * @module
 */
import { type ServerSentEvent, sseResponse } from "../helpers/mod.ts";
import { type HttpServer, serve } from "../serve/mod.ts";
import { type ExampleOptions, isMain, listenOptions } from "./_main.ts";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>hussar SSE</title>
<pre id="log"></pre>
<script>
  new EventSource("/events").addEventListener("tick", (e) => {
    document.getElementById("log").textContent += e.lastEventId + ": " + e.data + "\\n";
  });
</script>
`;

/** Ticks numbered from `first`, `every` ms apart, until the client leaves (the generator is returned). */
async function* ticks(first: number, every: number): AsyncGenerator<ServerSentEvent> {
  yield { retry: 2000, comment: "ticks follow" };
  for (let id = first;; id++) {
    yield { event: "tick", id, data: `tick ${id}` };
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** The example's handler; `every` is the tick period in ms. */
export function sseExample(every = 1000): (request: Request) => Response {
  return (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/") {
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (pathname !== "/events") return new Response("not found\n", { status: 404 });
    const last = request.headers.get("last-event-id");
    const resumed = last !== null && /^\d{1,15}$/.test(last) ? Number(last) + 1 : 0;
    return sseResponse(ticks(resumed, every));
  };
}

/** Starts the server; resolves once it listens. */
export async function start(
  options: ExampleOptions & { every?: number } = {},
): Promise<HttpServer> {
  const server = serve({ ...listenOptions(options), onListen() {} }, sseExample(options.every));
  await server.ready;
  return server;
}

if (isMain(import.meta)) {
  const server = await start();
  console.log(`sse example listening on ${server.url}`);
}

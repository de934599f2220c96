/**
 * The demo application served by `npm start`: a page, an echo endpoint, a
 * streaming endpoint, a server-sent events endpoint and a WebSocket echo.
 *
 * @module
 */
import { type ServerSentEvent, sseResponse } from "../helpers/mod.ts";
import { upgradeWebSocket, WebSocketUpgradeError } from "../websocket/mod.ts";

const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>hussar demo</title>
<h1>hussar</h1>
<p>An HTTP server core for Deno, Bun and Node, served here by <span id="runtime"></span>.</p>
<ul>
  <li><code>POST /echo</code> returns the request body</li>
  <li><a href="/stream">/stream</a> streams ten lines, one every 100 ms</li>
  <li><a href="/sse">/sse</a> sends server-sent events, shown below</li>
  <li><code>/ws</code> is a WebSocket that echoes each message: type one below</li>
</ul>
<pre id="events"></pre>
<form id="say"><input id="message" value="hello over a WebSocket"><button>send</button></form>
<pre id="echoes"></pre>
<script>
  const events = new EventSource("/sse");
  events.onmessage = (e) => { document.getElementById("events").textContent += e.data + "\\n"; };
  const socket = new WebSocket(new URL("/ws", location.href.replace(/^http/, "ws")));
  socket.binaryType = "arraybuffer";
  socket.onmessage = (e) => {
    const text = typeof e.data === "string" ? e.data : "binary: " + e.data.byteLength + " bytes";
    document.getElementById("echoes").textContent += text + "\\n";
  };
  document.getElementById("say").onsubmit = (e) => {
    e.preventDefault();
    socket.send(document.getElementById("message").value);
  };
</script>
</html>
`;

const encoder = new TextEncoder();

function runtimeName(): string {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Deno ? "Deno" : g.Bun ? "Bun" : "Node";
}

/** Ten lines, 100 ms apart; stops when cancelled. */
function tenLines(): ReadableStream<Uint8Array> {
  let i = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === 10) return controller.close();
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          controller.enqueue(encoder.encode(`line ${++i} of 10\n`));
          resolve();
        }, i === 0 ? 0 : 100);
      });
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}

/** A tick a second, until the client leaves or `stopping` aborts (the stream then ends). */
async function* ticks(stopping?: AbortSignal): AsyncGenerator<ServerSentEvent> {
  for (let i = 0;; i++) {
    yield { data: `tick ${i} at ${new Date().toISOString()}` };
    if (stopping?.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 1000);
      stopping?.addEventListener("abort", done, { once: true });
      function done(): void {
        clearTimeout(timer);
        stopping?.removeEventListener("abort", done);
        resolve();
      }
    });
    if (stopping?.aborted) return;
  }
}

/**
 * The demo's fetch handler. `stopping`, once aborted, ends the event streams
 * of `/sse`, which would otherwise never finish: a graceful shutdown waits
 * for the requests in flight.
 *
 * @example
 * ```ts
 * import { demoApp } from "./app.ts";
 * const stopping = new AbortController();
 * const handler = demoApp(stopping.signal);
 * const events = await handler(new Request("http://localhost/sse"));
 * stopping.abort();
 * console.log(await events.text()); // data: tick 0 at ...
 * ```
 */
export function demoApp(stopping?: AbortSignal): (request: Request) => Promise<Response> {
  return (request) => route(request, stopping);
}

/**
 * The demo's fetch handler, its event streams endless (see {@linkcode demoApp}).
 *
 * @example
 * ```ts
 * import { demoHandler } from "./app.ts";
 * const response = await demoHandler(new Request("http://localhost/echo", { method: "POST", body: "hi" }));
 * console.log(await response.text()); // hi
 * ```
 */
export const demoHandler: (request: Request) => Promise<Response> = demoApp();

async function route(request: Request, stopping?: AbortSignal): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === "/") {
    return new Response(PAGE.replace('<span id="runtime"></span>', runtimeName()), {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }
  if (pathname === "/echo") {
    if (request.method !== "POST") {
      return new Response("POST a body here\n", { status: 405, headers: { allow: "POST" } });
    }
    return new Response(await request.arrayBuffer(), {
      headers: {
        "content-type": request.headers.get("content-type") ?? "application/octet-stream",
      },
    });
  }
  if (pathname === "/stream") {
    return new Response(tenLines(), { headers: { "content-type": "text/plain" } });
  }
  if (pathname === "/sse") return sseResponse(ticks(stopping));
  if (pathname === "/ws") {
    try {
      const { socket, response } = upgradeWebSocket(request);
      // Text comes back prefixed, binary as it came (an ArrayBuffer: binaryType's default).
      socket.onmessage = ({ data }) =>
        socket.send(typeof data === "string" ? `echo: ${data}` : data);
      return response;
    } catch (error) {
      if (error instanceof WebSocketUpgradeError) return error.toResponse();
      throw error;
    }
  }
  return new Response("not found\n", { status: 404 });
}

/**
 * The demo application served by `npm start`: a page, an echo endpoint, a
 * streaming endpoint, a server-sent events endpoint and a WebSocket echo.
 *
 * @module
 */
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
  socket.onmessage = (e) => { document.getElementById("echoes").textContent += e.data + "\\n"; };
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

/** A stream of `count` pieces made by `piece(i)`, `ms` apart; stops when cancelled. */
function paced(
  count: number,
  ms: number,
  piece: (i: number) => string,
): ReadableStream<Uint8Array> {
  let i = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === count) return controller.close();
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          controller.enqueue(encoder.encode(piece(i++)));
          resolve();
        }, i === 0 ? 0 : ms);
      });
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}

/**
 * The demo's fetch handler.
 *
 * @example
 * ```ts
 * import { demoHandler } from "./app.ts";
 * const response = await demoHandler(new Request("http://localhost/echo", { method: "POST", body: "hi" }));
 * console.log(await response.text()); // hi
 * ```
 */
export async function demoHandler(request: Request): Promise<Response> {
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
    return new Response(paced(10, 100, (i) => `line ${i + 1} of 10\n`), {
      headers: { "content-type": "text/plain" },
    });
  }
  if (pathname === "/sse") {
    return new Response(
      paced(Infinity, 1000, (i) => `data: tick ${i} at ${new Date().toISOString()}\n\n`),
      {
        headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
      },
    );
  }
  if (pathname === "/ws") {
    try {
      const { socket, response } = upgradeWebSocket(request);
      socket.onmessage = (event) => socket.send(`echo: ${event.data}`);
      return response;
    } catch (error) {
      if (error instanceof WebSocketUpgradeError) return error.toResponse();
      throw error;
    }
  }
  return new Response("not found\n", { status: 404 });
}

/**
 * A WebSocket chat room: `/` is a page with a chat box, `/chat?name=ada`
 * upgrades to a WebSocket; every text message a member sends reaches every
 * member as `name: text`, and joins and leaves are announced.
 *
 *   deno run -A examples/websocket_chat.ts     then open http://127.0.0.1:8000/
 *
 * @module
 */
import { type HttpServer, serve } from "../serve/mod.ts";
import { upgradeWebSocket, WebSocketUpgradeError } from "../websocket/mod.ts";
import { type ExampleOptions, isMain, listenOptions } from "./_main.ts";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>hussar chat</title>
<pre id="log"></pre>
<form id="say"><input id="text" autocomplete="off"><button>send</button></form>
<script>
  const name = prompt("your name") || "guest";
  const socket = new WebSocket(new URL("/chat?name=" + encodeURIComponent(name), location.href.replace(/^http/, "ws")));
  socket.onmessage = (e) => { document.getElementById("log").textContent += e.data + "\\n"; };
  document.getElementById("say").onsubmit = (e) => {
    e.preventDefault();
    socket.send(document.getElementById("text").value);
    document.getElementById("text").value = "";
  };
</script>
`;

/** One room: its members' sockets, each with its name. */
class Room {
  readonly #members = new Map<object, { name: string; send(text: string): void }>();

  join(socket: object, name: string, send: (text: string) => void): void {
    this.#members.set(socket, { name, send });
    this.broadcast(`* ${name} joined`);
  }

  leave(socket: object): void {
    const member = this.#members.get(socket);
    if (member === undefined) return;
    this.#members.delete(socket);
    this.broadcast(`* ${member.name} left`);
  }

  say(socket: object, text: string): void {
    const member = this.#members.get(socket);
    if (member !== undefined) this.broadcast(`${member.name}: ${text}`);
  }

  broadcast(line: string): void {
    for (const member of this.#members.values()) member.send(line);
  }
}

/** The chat's fetch handler (one room per handler). */
export function chatHandler(): (request: Request) => Response {
  const room = new Room();
  return (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/") {
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (url.pathname !== "/chat") return new Response("not found\n", { status: 404 });
    const name = (url.searchParams.get("name") ?? "guest").slice(0, 32);
    try {
      const { socket, response } = upgradeWebSocket(request);
      socket.onopen = () => room.join(socket, name, (text) => socket.send(text));
      socket.onmessage = (event) => {
        if (typeof event.data === "string") room.say(socket, event.data.slice(0, 1000));
      };
      socket.onclose = () => room.leave(socket);
      return response;
    } catch (error) {
      // Not a WebSocket handshake: say why (400, 405 or 426).
      if (error instanceof WebSocketUpgradeError) return error.toResponse();
      throw error;
    }
  };
}

/** Starts the server; resolves once it listens. */
export async function start(options: ExampleOptions = {}): Promise<HttpServer> {
  const server = serve({ ...listenOptions(options), onListen() {} }, chatHandler());
  await server.ready;
  return server;
}

if (isMain(import.meta)) {
  const server = await start();
  console.log(`websocket chat example listening on ${server.url}`);
}

/**
 * upgradeWebSocket() against each runtime's own `WebSocket` client. Node 20
 * has that client only behind --experimental-websocket: there the client
 * runs in a child `node --experimental-websocket` process.
 */
import { afterEach, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { type HttpServer, serve } from "../../serve/mod.ts";
import { type UpgradedWebSocket, upgradeWebSocket } from "../../websocket/mod.ts";
import { within } from "./_client.ts";

let server: HttpServer | null = null;
afterEach(async () => {
  await server?.close();
  assert.equal(server?.hussar.connectionCount ?? 0, 0);
  server = null;
});

/** An echo server that records each socket's close event. */
async function echoServer(onSocket: (socket: UpgradedWebSocket) => void = () => {}): Promise<{
  url: string;
  closes: Promise<CloseEvent>[];
}> {
  const closes: Promise<CloseEvent>[] = [];
  server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    if (request.headers.get("upgrade") === null) {
      return new Response("not a websocket", { status: 400 });
    }
    const { socket, response } = upgradeWebSocket(request, { protocol: "chat" });
    socket.onmessage = (event) => {
      if (event.data === "big") socket.send(new Uint8Array(70_000).fill(7));
      else socket.send(event.data);
    };
    closes.push(
      new Promise((resolve) => socket.addEventListener("close", (e) => resolve(e as CloseEvent))),
    );
    onSocket(socket);
    return response;
  });
  await server.ready;
  return { url: server.url.replace("http:", "ws:"), closes };
}

/** The scenario both clients run: echo text and binary, a 70 kB message, then close 4001. */
const SCENARIO = `
  const ws = new WebSocket(URL_, ["chat"]);
  ws.binaryType = "arraybuffer";
  const got = [];
  const result = await new Promise((resolve, reject) => {
    ws.onerror = (e) => reject(new Error("client error: " + (e.message ?? e.type)));
    ws.onopen = () => {
      ws.send("hello");
      ws.send(new Uint8Array([1, 2, 3]));
      ws.send("big");
    };
    ws.onmessage = (e) => {
      got.push(typeof e.data === "string" ? e.data : "bytes:" + e.data.byteLength);
      if (got.length === 3) ws.close(4001, "bye");
    };
    ws.onclose = (e) => resolve({ protocol: ws.protocol, got, code: e.code, wasClean: e.wasClean });
  });
`;

function runInChildNode(url: string): Promise<unknown> {
  const script = `const URL_ = ${
    JSON.stringify(url)
  };\n${SCENARIO}\nconsole.log(JSON.stringify(result));`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--experimental-websocket", "--no-warnings", "--input-type=module", "-e", script],
      { timeout: 10_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`child node failed: ${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout));
      },
    );
  });
}

async function runHere(url: string): Promise<unknown> {
  // The same text as the child runs, so both paths test one scenario.
  const run = new Function("URL_", `return (async () => {${SCENARIO}; return result; })();`);
  return await run(url);
}

const hasClient = typeof (globalThis as { WebSocket?: unknown }).WebSocket === "function";

describe(`upgradeWebSocket with the runtime's WebSocket client${hasClient ? "" : " (child node --experimental-websocket)"}`, () => {
  it("echoes text and binary, chooses the subprotocol, and closes cleanly with the client's code", async () => {
    const { url, closes } = await echoServer();
    const result = await within(
      hasClient ? runHere(url) : runInChildNode(url),
      10_000,
      "the client",
    );
    assert.deepEqual(result, {
      protocol: "chat",
      got: ["hello", "bytes:3", "bytes:70000"],
      code: 4001,
      wasClean: true,
    });
    const close = await within(closes[0], 5000, "the server's close event");
    assert.deepEqual([close.code, close.reason, close.wasClean], [4001, "bye", true]);
  });

  it("delivers the server's close code and reason to the client", {
    skip: !hasClient && "needs a global WebSocket",
  }, async () => {
    const { url } = await echoServer((socket) => {
      socket.onopen = () => socket.close(4002, "server says bye");
    });
    const client = new WebSocket(url, ["chat"]);
    const close = await within(
      new Promise<CloseEvent>((resolve) => (client.onclose = resolve)),
      5000,
      "the client's close event",
    );
    assert.deepEqual([close.code, close.reason, close.wasClean], [4002, "server says bye", true]);
  });

  it("makes the client fail when the handler refuses the handshake", {
    skip: !hasClient && "needs a global WebSocket",
  }, async () => {
    server = serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("no", { status: 403 }),
    );
    await server.ready;
    const client = new WebSocket(server.url.replace("http:", "ws:"));
    const events: string[] = [];
    await within(
      new Promise<void>((resolve) => {
        client.onerror = () => events.push("error");
        client.onclose = (e) => {
          events.push(`close clean=${e.wasClean}`); // the code is 1006, or 0 on Deno
          resolve();
        };
      }),
      5000,
      "the client's failure",
    );
    assert.deepEqual(events, ["error", "close clean=false"]);
  });
});

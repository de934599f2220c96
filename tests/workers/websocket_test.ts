/**
 * WebSocket in worker mode: the worker answers the handshake's 101 and then
 * relays raw bytes; the WebSocket itself runs on the main thread.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { serve } from "../../serve/mod.ts";
import { upgradeWebSocket } from "../../websocket/mod.ts";
import { OPCODE } from "../../websocket/_frame.ts";
import { RawWebSocket, within } from "../websocket/_client.ts";
import WebSocket from "ws";

describe("upgradeWebSocket in worker mode", () => {
  it("echoes messages over a connection a worker owns, and closes cleanly", async () => {
    const closed: number[] = [];
    const server = serve(
      { workers: 1, hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const { socket, response } = upgradeWebSocket(request);
        socket.onmessage = (event) => socket.send(`echo ${event.data}`);
        socket.onclose = (event) => closed.push(event.code);
        return response;
      },
    );
    await server.ready;
    const { port } = server.addr as { port: number };
    const client = await RawWebSocket.open(port);
    assert.equal(client.answer.status, 101);
    assert.equal(client.answer.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    for (const word of ["one", "two", "x".repeat(100_000)]) {
      client.sendText(word);
      const frame = await client.next();
      assert.equal(frame?.opcode, OPCODE.text);
      assert.equal(new TextDecoder().decode(frame!.payload), `echo ${word}`);
    }
    client.sendClose(1000, "bye");
    assert.equal((await client.nextClose()).code, 1000);
    await within(client.closed, 5000, "the worker closes the TCP connection");
    await server.hussar.whenEmpty();
    assert.deepEqual(closed, [1000]);
    const [worker] = await server.workerPool!.workerStats();
    assert.equal(worker?.slots, 0);
    await server.shutdown();
  });

  it("fires close on the main thread when the client drops the connection", async () => {
    let onClose!: (code: number) => void;
    const closedWith = new Promise<number>((resolve) => (onClose = resolve));
    const server = serve(
      { workers: 1, hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const { socket, response } = upgradeWebSocket(request);
        socket.onclose = (event) => onClose(event.code);
        return response;
      },
    );
    await server.ready;
    const client = await RawWebSocket.open((server.addr as { port: number }).port);
    client.sendText("hello");
    client.destroy();
    assert.equal(await within(closedWith, 5000, "close on the server"), 1006);
    await server.hussar.whenEmpty();
    await server.shutdown();
  });

  it("negotiates permessage-deflate and echoes compressed messages as in single-thread mode", async () => {
    const server = serve(
      { workers: 1, hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const { socket, response } = upgradeWebSocket(request, { maxMessageSize: 1 << 20 });
        socket.onmessage = (event) => socket.send(event.data);
        return response;
      },
    );
    await server.ready;
    const ws = new WebSocket(`ws://127.0.0.1:${(server.addr as { port: number }).port}/`);
    let extensions: string | undefined;
    ws.on("upgrade", (response) => {
      extensions = response.headers["sec-websocket-extensions"] as string | undefined;
    });
    await within(new Promise((resolve) => ws.once("open", resolve)), 5000, "the ws client to open");
    assert.equal(extensions, "permessage-deflate");
    const message = "compressed in worker mode, ".repeat(2000);
    for (let i = 0; i < 2; i++) {
      const echoed = new Promise<string>((resolve) =>
        ws.once("message", (data: Buffer) => resolve(data.toString()))
      );
      ws.send(message);
      assert.ok((await within(echoed, 5000, "the echo")) === message, "the echo is the message");
    }
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    ws.send(new Uint8Array(4 << 20)); // inflates past maxMessageSize
    assert.equal(await within(closed, 5000, "the close"), 1009);
    await server.hussar.whenEmpty();
    await server.shutdown();
  });
});

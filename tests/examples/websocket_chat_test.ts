import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { start } from "../../examples/websocket_chat.ts";
import { RawWebSocket } from "../websocket/_client.ts";
import { startExample } from "./_run.ts";

const text = (frame: { payload: Uint8Array } | null): string =>
  new TextDecoder().decode(frame?.payload);

/** Joins the chat as `name` and waits for its own join line. */
async function join(port: number, name: string): Promise<RawWebSocket> {
  const member = await RawWebSocket.open(port, { path: `/chat?name=${name}` });
  assert.equal(member.answer.status, 101);
  assert.equal(text(await member.next()), `* ${name} joined`);
  return member;
}

describe("examples/websocket_chat", () => {
  it("relays every member's messages to every member, and announces joins and leaves", async () => {
    const server = await start({ port: 0 });
    const port = (server.addr as { port: number }).port;
    try {
      const ada = await join(port, "ada");
      const bob = await join(port, "bob");
      assert.equal(text(await ada.next()), "* bob joined");
      bob.sendText("hi all");
      assert.equal(text(await ada.next()), "bob: hi all");
      assert.equal(text(await bob.next()), "bob: hi all");
      bob.sendClose(1000);
      await bob.nextClose();
      assert.equal(text(await ada.next()), "* bob left");
      ada.destroy();
    } finally {
      await server.shutdown();
    }
  });

  it("answers a plain GET of /chat with 400 and says why", async () => {
    const server = await start({ port: 0 });
    try {
      const response = await fetch(new URL("/chat", server.url));
      assert.equal(response.status, 400);
      assert.match(await response.text(), /upgrade/i);
    } finally {
      await server.shutdown();
    }
  });

  it("runs as a program on PORT, printing its URL", async () => {
    const program = await startExample("websocket_chat");
    try {
      const page = await fetch(program.url);
      assert.match(await page.text(), /new WebSocket/);
      const member = await join(Number(new URL(program.url).port), "cy");
      member.destroy();
    } finally {
      await program.stop();
    }
  });
});

import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar, type Transport } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { StreamSource } from "../../sources/mod.ts";
import { parseResponses } from "../_http.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A client and server end joined by two TransformStreams. */
function pipePair(): {
  server: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  send(text: string): Promise<void>;
  end(): Promise<void>;
  readText(): Promise<string>;
} {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const writer = toServer.writable.getWriter();
  return {
    server: { readable: toServer.readable, writable: toClient.writable },
    send: (text) => writer.write(encode(text)),
    end: () => writer.close(),
    readText: () => new Response(toClient.readable).text(),
  };
}

describe("StreamSource", () => {
  it("serves HTTP over a pair of TransformStreams", async () => {
    const source = new StreamSource();
    const hussar = new Hussar({
      handler: httpHandler(function* (request) {
        const body = yield* request.body.text();
        return { status: 200, body: `${request.head.target}:${body}` };
      }),
    });
    hussar.attachSource(source);
    const pair = pipePair();
    source.add(pair.server);
    const text = pair.readText();
    await pair.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    await pair.send("GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const responses = parseResponses(await text);
    assert.deepEqual(responses.map((r) => [r.status, r.body]), [[200, "/a:hi"], [200, "/b:"]]);
    await hussar.close();
    assert.equal(hussar.connectionCount, 0);
  });

  it("hands over pairs added before listen(), in order, with the streams as given", () => {
    const source = new StreamSource();
    const first = pipePair();
    const second = pipePair();
    source.add(first.server);
    source.add(second.server);
    const accepted: Transport[] = [];
    source.listen((transport) => accepted.push(transport));
    assert.equal(accepted.length, 2);
    assert.equal(accepted[0].readable, first.server.readable);
    assert.equal(accepted[0].writable, first.server.writable);
    assert.equal(accepted[1].readable, second.server.readable);
  });

  it("describes a connection as in-memory unless told otherwise", () => {
    const source = new StreamSource();
    const accepted: Transport[] = [];
    source.listen((transport) => accepted.push(transport));
    source.add(pipePair().server);
    source.add(pipePair().server, {
      remoteAddr: { transport: "tcp", hostname: "10.1.2.3", port: 4444 },
      tls: true,
      alpnProtocol: "http/1.1",
    });
    assert.deepEqual(accepted[0].info, {
      remoteAddr: { transport: "memory", hostname: "", port: 0 },
      localAddr: { transport: "memory", hostname: "", port: 0 },
      tls: false,
      alpnProtocol: null,
    });
    assert.equal(accepted[1].info.remoteAddr.hostname, "10.1.2.3");
    assert.equal(accepted[1].info.localAddr.transport, "memory");
    assert.equal(accepted[1].info.tls, true);
    assert.equal(accepted[1].info.alpnProtocol, "http/1.1");
  });

  it("refuses pairs once closed, and connections already added go on", async () => {
    const source = new StreamSource();
    const hussar = new Hussar({
      handler: httpHandler(() => ({ status: 204 })),
    });
    hussar.attachSource(source);
    const pair = pipePair();
    source.add(pair.server);
    await hussar.detachSource(source);
    assert.throws(() => source.add(pipePair().server), /closed/);
    assert.throws(() => source.listen(() => {}), /closed/);
    const text = pair.readText();
    await pair.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await pair.end();
    assert.equal(parseResponses(await text)[0].status, 204);
    await hussar.close();
  });
});

/**
 * `Keep-Alive: timeout=N` on kept-alive responses: it advertises a second
 * less than the real idle timeout, so a client that reuses the connection
 * within N seconds always finds the server still there.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { httpHandler, type HttpServerOptions, serializeResponseHead } from "../../httputil/mod.ts";
import { Scheduler, sleep, VirtualClock } from "../../scheduler/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { header, parseResponses } from "../_http.ts";
import { until } from "../_until.ts";

function start(options: HttpServerOptions = {}) {
  const clock = new VirtualClock();
  const hussar = new Hussar({
    scheduler: new Scheduler({ clock }),
    handler: httpHandler(() => ({ status: 200, body: "ok" }), options),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  return { clock, hussar, source };
}

const GET = (extra = ""): string => `GET / HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;

describe("Keep-Alive: timeout=N", () => {
  it("is advertised on kept-alive responses: one second under keepAliveTimeoutMs", async () => {
    for (const [ms, expected] of [[5000, "timeout=4"], [3000, "timeout=2"], [2999, "timeout=1"]]) {
      const { hussar, source } = start({ keepAliveTimeoutMs: ms as number });
      const client = source.connect();
      client.write(GET() + GET("Connection: close\r\n"));
      const [kept, closed] = parseResponses(await client.readText());
      assert.equal(header(kept, "keep-alive"), expected, `keepAliveTimeoutMs ${ms}`);
      assert.equal(header(kept, "connection"), undefined);
      assert.equal(header(closed, "keep-alive"), undefined, "not on a closing response");
      assert.equal(header(closed, "connection"), "close");
      await hussar.close();
    }
  });

  it("is advertised to an HTTP/1.0 keep-alive client along with Connection: keep-alive", async () => {
    const { hussar, source } = start();
    const client = source.connect();
    client.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    client.end();
    const [response] = parseResponses(await client.readText());
    assert.equal(header(response, "connection"), "keep-alive");
    assert.equal(header(response, "keep-alive"), "timeout=4");
    await hussar.close();
  });

  it("is left out when less than a second would remain", async () => {
    const { hussar, source } = start({ keepAliveTimeoutMs: 1999 });
    const client = source.connect();
    client.write(GET());
    client.end();
    const [response] = parseResponses(await client.readText());
    assert.equal(header(response, "connection"), undefined, "the connection was kept");
    assert.equal(header(response, "keep-alive"), undefined);
    await hussar.close();
  });

  it("holds: a request sent just before N seconds is served, the close comes after", async () => {
    const { clock, hussar, source } = start({ keepAliveTimeoutMs: 3000 });
    const client = source.connect();
    client.write(GET());
    const first = await client.read();
    assert.match(new TextDecoder().decode(first!), /keep-alive: timeout=2\r\n/);
    const sentAt = clock.now();
    hussar.scheduler.spawn(function* () {
      yield* sleep(2999); // within the advertised two seconds, and then some
      client.write(GET());
    });
    let text = "";
    for (let chunk = await client.read(); chunk !== null; chunk = await client.read()) {
      text += new TextDecoder().decode(chunk);
    }
    assert.equal(parseResponses(text).length, 1, "the second request was served");
    // The idle close follows the second response, a full keepAliveTimeoutMs later.
    assert.ok(clock.now() - sentAt >= 2999 + 3000, `closed at ${clock.now() - sentAt} ms`);
    await hussar.close();
  });

  it("serializeResponseHead writes it only on a response that keeps the connection", () => {
    const text = (close: boolean): string =>
      new TextDecoder().decode(
        serializeResponseHead({ status: 200 }, { date: false, keepAliveTimeout: 7, close }),
      );
    assert.equal(
      text(false),
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nkeep-alive: timeout=7\r\n\r\n",
    );
    assert.equal(
      text(true),
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    );
    const switching = new TextDecoder().decode(
      serializeResponseHead({ status: 101, headers: [["upgrade", "x"]] }, {
        date: false,
        keepAliveTimeout: 7,
      }),
    );
    assert.ok(!switching.includes("keep-alive"), "not on a protocol switch");
    assert.throws(
      () => serializeResponseHead({ status: 200 }, { keepAliveTimeout: 1.5 }),
      RangeError,
    );
  });

  it("reads the next request while the last response is still leaving", async () => {
    let served = 0;
    const hussar = new Hussar({
      handler: httpHandler(() => ({ status: 200, body: `response ${++served}` })),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect({ paused: true }); // takes nothing yet
    client.write(GET() + GET("Connection: close\r\n"));
    await until(
      () => served === 2,
      2000,
      "the second request served before the first response left",
    );
    client.resume();
    const responses = parseResponses(await client.readText());
    assert.deepEqual(responses.map((r) => r.body), ["response 1", "response 2"]);
    await hussar.close();
  });

  it("cuts off a client that neither takes its response nor asks again", async () => {
    const { clock, hussar, source } = start({ keepAliveTimeoutMs: 3000 });
    const client = source.connect({ paused: true });
    client.write(GET());
    await hussar.whenEmpty();
    assert.equal(clock.now(), 3000, "at the keep-alive timeout");
    client.resume();
    await client.readAll(); // the connection has ended
    assert.equal(hussar.scheduler.timerCount, 0);
    await hussar.close();
  });
});

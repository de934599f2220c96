/**
 * `requestTimeoutMs`: an app that does not answer in time gets the client a
 * 503 and a close when nothing of a response went out, and an aborted
 * connection otherwise; 0 turns the timeout off. On a virtual clock.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import {
  DEFAULT_HTTP_OPTIONS,
  type HttpApp,
  httpHandler,
  type HttpServerOptions,
  respondOn,
} from "../../httputil/mod.ts";
import { Scheduler, sleep, VirtualClock } from "../../scheduler/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { header, parseResponses } from "../_http.ts";
import { until } from "../_until.ts";

async function exchange(
  app: HttpApp,
  options: HttpServerOptions,
): Promise<{ text: string; at: number; reason: string }> {
  const clock = new VirtualClock();
  const hussar = new Hussar({
    scheduler: new Scheduler({ clock }),
    handler: httpHandler(app, { onError: () => {}, ...options }),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  let reason = "";
  hussar.scheduler.watch({
    onTurn: () => {
      for (const { connection } of hussar.descriptors()) reason ||= connection.closeReason;
    },
  });
  const client = source.connect();
  client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  const text = await client.readText();
  const at = clock.now();
  await hussar.whenEmpty();
  await hussar.close();
  await hussar.scheduler.run();
  assert.equal(hussar.scheduler.timerCount, 0, "timers left");
  assert.equal(hussar.scheduler.pendingWaitCount, 0, "Promise waits left");
  assert.equal(hussar.scheduler.threadCount, 0, "threads left");
  return { text, at, reason };
}

describe("requestTimeoutMs", () => {
  it("defaults to 60 s", () => {
    assert.equal(DEFAULT_HTTP_OPTIONS.requestTimeoutMs, 60_000);
  });

  it("answers 503 and closes when the app has not answered in time", async () => {
    const { text, at } = await exchange(() => new Promise(() => {}), { requestTimeoutMs: 5000 });
    const [response] = parseResponses(text);
    assert.equal(response.status, 503);
    assert.equal(header(response, "connection"), "close");
    assert.equal(response.body, "request handler timed out\n");
    assert.ok(at >= 5000, `answered at ${at} ms`);
  });

  it("aborts a connection whose response had started", async () => {
    const app: HttpApp = function* (_request, conn) {
      const writer = respondOn(conn, { status: 200 });
      writer.write(new TextEncoder().encode("partial"));
      yield* writer.flush();
      yield* sleep(3_600_000); // stuck for an hour
    };
    const { text, at, reason } = await exchange(app, { requestTimeoutMs: 1000 });
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*partial/);
    assert.ok(!text.endsWith("0\r\n\r\n"), "no last chunk: the body is visibly cut");
    assert.match(reason, /request timeout/);
    assert.ok(at < 3_600_000, `closed at ${at} ms`);
  });

  it("is off with 0: a slow app still answers", async () => {
    const app: HttpApp = function* () {
      yield* sleep(120_000);
      return { status: 200, body: "late" };
    };
    const { text } = await exchange(app, { requestTimeoutMs: 0 });
    assert.equal(parseResponses(text)[0].body, "late");
  });

  it("times each request of a kept-alive connection from its own start", async () => {
    const clock = new VirtualClock();
    const hussar = new Hussar({
      scheduler: new Scheduler({ clock }),
      handler: httpHandler(function* (request) {
        // The first answers after 900 ms of its 1000; the second never does.
        yield* sleep(request.head.target === "/first" ? 900 : 3_600_000);
        return { status: 200, body: "first" };
      }, { onError: () => {}, requestTimeoutMs: 1000 }),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    client.write("GET /first HTTP/1.1\r\nHost: h\r\n\r\n");
    await client.read();
    const second = clock.now();
    assert.equal(second, 900);
    client.write("GET /second HTTP/1.1\r\nHost: h\r\n\r\n");
    const [response] = parseResponses(await client.readText());
    assert.equal(response.status, 503);
    // Timed from its own start (1900 ms), not from the first request's (1000 ms).
    assert.equal(clock.now(), second + 1000);
    await hussar.whenEmpty();
    await hussar.close();
    await hussar.scheduler.run();
    assert.equal(hussar.scheduler.timerCount, 0, "timers left");
  });

  it("arms its timer only for an app that answers later, once per connection", async () => {
    const clock = new VirtualClock();
    const hussar = new Hussar({
      scheduler: new Scheduler({ clock }),
      handler: httpHandler((request) => {
        if (request.head.target !== "/later") return { status: 200, body: "now" };
        return (function* () {
          yield* sleep(10);
          return { status: 200, body: "later" };
        })();
      }, { onError: () => {}, requestTimeoutMs: 1000 }),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    // Kept alive, idle: the core's deadlines hold one timer for every connection; the request
    // timeout's, once armed, stays for the connection's next requests.
    const timersAfter = async (target: string): Promise<number> => {
      client.write(`GET ${target} HTTP/1.1\r\nHost: h\r\n\r\n`);
      await client.read();
      return hussar.scheduler.timerCount;
    };
    assert.equal(await timersAfter("/now"), 1);
    assert.equal(await timersAfter("/now"), 1);
    assert.equal(await timersAfter("/later"), 2);
    assert.equal(await timersAfter("/later"), 2);
    client.end();
    await hussar.whenEmpty();
    await hussar.close();
    await hussar.scheduler.run();
    assert.equal(hussar.scheduler.timerCount, 0, "timers left");
  });

  it("times every connection's app with one timer, each to its own deadline", async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    let called = 0;
    const hussar = new Hussar({
      scheduler: new Scheduler({ clock }),
      handler: httpHandler(() => {
        called++;
        return new Promise<never>(() => {});
      }, { requestTimeoutMs: 1000 }),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const answered: number[] = [];
    for (let i = 0; i < 8; i++) {
      const client = source.connect();
      client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      void client.readText().then((text) => {
        answered.push(parseResponses(text)[0]?.status === 503 ? clock.now() : -1);
      });
      await until(() => called === i + 1, 5000, "the app called"); // at 0, 100, ..., 700
      clock.advance(100);
    }
    // At most the core's deadlines' timer and the request timeouts' one: not one per connection.
    assert.ok(hussar.scheduler.timerCount <= 2, `${hussar.scheduler.timerCount} timers`);
    for (let at = 1000; at <= 1700; at += 100) {
      clock.advance(at - clock.now()); // to 1000, 1100, ..., 1700: one more answer each
      await until(() => answered.length === (at - 900) / 100, 5000, `the answer due at ${at}`);
    }
    assert.deepEqual(answered, [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700]);
    // The apps never answer: the core ends their threads after its grace period.
    clock.advance(60_000);
    await until(() => hussar.connectionCount === 0, 5000, "the connections gone");
    await hussar.close();
    await hussar.scheduler.run();
    assert.equal(hussar.scheduler.timerCount, 0, "timers left");
  });

  it("does not cut an app that answers in time", async () => {
    const app: HttpApp = function* () {
      yield* sleep(900);
      return { status: 200, headers: { connection: "close" }, body: "in time" };
    };
    const { text } = await exchange(app, { requestTimeoutMs: 1000 });
    assert.equal(parseResponses(text)[0].body, "in time");
  });
});

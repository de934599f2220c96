/**
 * serve()'s fetch behaviour, run over the fake source, over a real socket
 * on whichever runtime runs the tests, and in worker mode.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { header, parseResponses } from "../_http.ts";
import { until } from "../_until.ts";
import { fakeHarness, type Harness, socketHarness, workerHarness } from "./_harness.ts";
import { listen } from "../../sources/listen.ts";
import type { ServeHandlerInfo } from "../../serve/types.ts";
import { within } from "../sources/_socket_client.ts";

const harnesses: Harness[] = [
  fakeHarness,
  socketHarness(listen as never),
  workerHarness(1),
  workerHarness(2),
];
const GET = (path = "/", extra = ""): string =>
  `GET ${path} HTTP/1.1\r\nHost: example.test\r\n${extra}\r\n`;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const harness of harnesses) {
  describe(`serve behaviour over the ${harness.name}`, () => {
    it("builds a Request with method, absolute URL and headers", async () => {
      let seen: { method: string; url: string; agent: string | null } | undefined;
      const server = await harness.serve((request) => {
        seen = {
          method: request.method,
          url: request.url,
          agent: request.headers.get("user-agent"),
        };
        return new Response("ok");
      });
      const [response] = parseResponses(
        await server.exchange(GET("/a/b?c=d", "User-Agent: t\r\n")),
      );
      assert.equal(response.status, 200);
      assert.equal(header(response, "content-length"), "2");
      assert.deepEqual(seen, { method: "GET", url: "http://example.test/a/b?c=d", agent: "t" });
      await server.close();
    });

    it("echoes a Content-Length body and a chunked body", async () => {
      const server = await harness.serve(async (request) => new Response(await request.text()));
      const text = await server.exchange(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
          "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      );
      assert.deepEqual(parseResponses(text).map((r) => r.body), ["hello", "abcde"]);
      await server.close();
    });

    it("gives a body that came with its head, or after it, as a stream the handler can read", async () => {
      const server = await harness.serve(async (request) => {
        const reader = request.body!.getReader();
        let text = "";
        for (let step = await reader.read(); !step.done; step = await reader.read()) {
          text += new TextDecoder().decode(step.value);
        }
        return new Response(`${request.bodyUsed} ${text}`);
      });
      const client = await server.connect();
      client.write("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
      await client.waitFor(/abc$/);
      client.write("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nde");
      await tick(20); // the head and part of the body first, as a slow client sends them
      client.write("fghi");
      await client.waitFor(/defghi$/);
      client.end();
      const text = await client.readText();
      assert.deepEqual(parseResponses(text).map((r) => r.body), ["true abc", "true defghi"]);
      await server.close();
    });

    it("sends every Fetch body type with the right framing and content type", async () => {
      const bodies: Record<string, () => BodyInit> = {
        "/text": () => "text",
        "/bytes": () => new Uint8Array([98, 121, 116, 101, 115]),
        "/blob": () => new Blob(["blob"], { type: "application/x-blob" }),
        "/params": () => new URLSearchParams({ a: "1" }),
        "/form": () => {
          const form = new FormData();
          form.set("field", "value");
          return form;
        },
        "/stream": () =>
          new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode("str"));
              await tick(500); // far past the event-loop turns a complete body gets
              controller.enqueue(new TextEncoder().encode("eam"));
              controller.close();
            },
          }),
      };
      const server = await harness.serve((request) =>
        new Response(bodies[new URL(request.url).pathname]())
      );
      const text = await server.exchange(Object.keys(bodies).map((path) => GET(path)).join(""));
      const responses = parseResponses(text);
      const byPath = Object.fromEntries(Object.keys(bodies).map((path, i) => [path, responses[i]]));
      assert.equal(byPath["/text"].body, "text");
      assert.equal(header(byPath["/text"], "content-length"), "4");
      assert.equal(byPath["/bytes"].body, "bytes");
      assert.equal(byPath["/blob"].body, "blob");
      assert.equal(header(byPath["/blob"], "content-type"), "application/x-blob");
      assert.equal(byPath["/params"].body, "a=1");
      assert.match(
        header(byPath["/params"], "content-type")!,
        /application\/x-www-form-urlencoded/,
      );
      assert.match(header(byPath["/form"], "content-type")!, /^multipart\/form-data; boundary=/);
      assert.match(byPath["/form"].body, /name="field"\r\n\r\nvalue/);
      assert.equal(byPath["/stream"].body, "stream");
      assert.equal(header(byPath["/stream"], "transfer-encoding"), "chunked");
      await server.close();
    });

    it("sends a Response subclass made with a string as a Response, its class kept", async () => {
      class Greeting extends Response {
        constructor(name: string) {
          super(`hello ${name}`, { headers: { "x-kind": "greeting" } });
        }
      }
      let kept = false;
      const server = await harness.serve(() => {
        const greeting = new Greeting("you");
        kept = greeting instanceof Greeting && greeting instanceof Response;
        return greeting;
      });
      const [response] = parseResponses(await server.exchange(GET()));
      assert.equal(kept, true);
      assert.equal(response.body, "hello you");
      assert.equal(header(response, "x-kind"), "greeting");
      assert.equal(header(response, "content-type"), "text/plain;charset=UTF-8");
      await server.close();
    });

    it("keeps several Set-Cookie headers apart", async () => {
      const server = await harness.serve(() => {
        const headers = new Headers();
        headers.append("set-cookie", "a=1");
        headers.append("set-cookie", "b=2");
        return new Response(null, { status: 204, headers });
      });
      const [response] = parseResponses(await server.exchange(GET()));
      assert.deepEqual(response.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v), [
        "a=1",
        "b=2",
      ]);
      await server.close();
    });

    it("answers HEAD without a body and cancels the response stream", async () => {
      let cancelled = false;
      const server = await harness.serve(() =>
        new Response(new ReadableStream({ pull() {}, cancel: () => void (cancelled = true) }))
      );
      const text = await server.exchange("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
      assert.equal(parseResponses(text, () => true)[0].body, "");
      assert.ok(text.endsWith("\r\n\r\n"));
      assert.ok(cancelled);
      await server.close();
    });

    it("frames a streamed body with its own Content-Length instead of chunks", async () => {
      const server = await harness.serve(() => {
        const bytes = new TextEncoder().encode("0123456789");
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(bytes.subarray(0, 4));
            await tick(10); // still streaming when the head is written
            controller.enqueue(bytes.subarray(4));
            controller.close();
          },
        });
        return new Response(body, { headers: { "content-length": "10" } });
      });
      const [response] = parseResponses(await server.exchange(GET()));
      assert.equal(header(response, "content-length"), "10");
      assert.equal(header(response, "transfer-encoding"), undefined);
      assert.equal(response.body, "0123456789");
      await server.close();
    });

    it("passes a handler's Content-Length through on HEAD (the size a GET would get)", async () => {
      const server = await harness.serve(() =>
        new Response(null, { headers: { "content-length": "1234" } })
      );
      const [response] = parseResponses(
        await server.exchange("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"),
        () => true,
      );
      assert.equal(response.status, 200);
      assert.equal(header(response, "content-length"), "1234");
      assert.equal(header(response, "transfer-encoding"), undefined);
      await server.close();
    });

    it("answers 500 through the default onError, and through a custom one", async () => {
      const failing = await harness.serve(() => {
        throw new Error("boom");
      }, { onError: undefined });
      const original = console.error;
      console.error = () => {};
      try {
        assert.equal(parseResponses(await failing.exchange(GET()))[0].status, 500);
      } finally {
        console.error = original;
      }
      await failing.close();
      const custom = await harness.serve(() => Promise.reject(new Error("nope")), {
        onError: (error) => new Response(`handled: ${(error as Error).message}`, { status: 503 }),
      });
      const [response] = parseResponses(await custom.exchange(GET()));
      assert.equal(response.status, 503);
      assert.equal(response.body, "handled: nope");
      await custom.close();
    });

    it("answers 500 when the handler returns something other than a Response", async () => {
      const server = await harness.serve((() => "not a response") as never, {
        onError: (error) => new Response(String(error), { status: 500 }),
      });
      const [response] = parseResponses(await server.exchange(GET()));
      assert.equal(response.status, 500);
      assert.match(response.body, /must return a Response/);
      await server.close();
    });

    it("settles info.completed once the response is written", async () => {
      let completed: Promise<void> | undefined;
      const server = await harness.serve((_request, info) => {
        completed = info.completed;
        assert.equal(info.remoteAddr.transport, "tcp");
        return new Response("done");
      });
      await server.exchange(GET());
      await completed;
      await server.close();
    });

    it("aborts request.signal when the client disconnects during the handler, not after a response", async () => {
      const signals: Record<string, AbortSignal> = {};
      let handling!: () => void;
      const handled = new Promise<void>((resolve) => (handling = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const server = await harness.serve(async (request) => {
        const path = new URL(request.url).pathname;
        signals[path] = request.signal;
        if (path === "/slow") {
          handling();
          await gate;
        }
        return new Response("x");
      });
      const quick = await server.connect();
      quick.write(GET("/fast"));
      await quick.waitFor(/\r\n\r\nx/);
      const slow = await server.connect();
      slow.write(GET("/slow"));
      await handled;
      slow.disconnect();
      // While its handler still runs (the gate is closed), the slow request's signal aborts.
      await until(() => signals["/slow"].aborted, 10_000, "the slow request's signal to abort");
      release();
      quick.end();
      await quick.readText();
      // The fast one was answered in full: its signal stays quiet, even once its connection closed.
      assert.equal(signals["/fast"].aborted, false);
      await server.close();
    });

    it("gives each request to a URL seen before a Request of its own: fields, body and signal", async () => {
      // On Deno the second request to a URL is copied from a template (serve/_request_template.ts).
      const seen: { method: string; url: string; fields: string[][]; body: string }[] = [];
      const signals: AbortSignal[] = [];
      let handling!: () => void;
      const handled = new Promise<void>((resolve) => (handling = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const server = await harness.serve(async (request) => {
        const fields = [...request.headers].filter(([name]) => name.startsWith("x-"));
        seen.push({ method: request.method, url: request.url, fields, body: await request.text() });
        request.headers.set("x-added", "by the handler"); // must not reach the next request
        signals.push(request.signal);
        if (request.headers.get("x-n") === "wait") {
          handling();
          await gate;
        }
        return new Response("ok");
      });
      const post = "POST /same?q=1 HTTP/1.1\r\nHost: example.test\r\nX-N: 2\r\n" +
        "Content-Length: 3\r\n\r\ntwo";
      const text = await server.exchange(
        GET("/same?q=1", "X-N: 1\r\n") + post + GET("/same?q=1", "X-N: 3\r\n"),
      );
      assert.deepEqual(parseResponses(text).map((r) => r.status), [200, 200, 200]);
      const url = "http://example.test/same?q=1";
      assert.deepEqual(seen, [
        { method: "GET", url, fields: [["x-n", "1"]], body: "" },
        { method: "POST", url, fields: [["x-n", "2"]], body: "two" },
        { method: "GET", url, fields: [["x-n", "3"]], body: "" },
      ]);
      const client = await server.connect();
      client.write(GET("/same?q=1", "X-N: wait\r\n"));
      await handled;
      client.disconnect();
      await until(() => signals[3].aborted, 10_000, "the waiting request's signal to abort");
      release();
      assert.deepEqual(signals.map((signal) => signal.aborted), [false, false, false, true]);
      await server.close();
    });

    it("settles request.signal and info.completed first read after the response as it ended", async () => {
      const seen: Record<string, { request: Request; info: ServeHandlerInfo }> = {};
      let handling!: () => void;
      const handled = new Promise<void>((resolve) => (handling = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let answered!: () => void;
      const lateAnswered = new Promise<void>((resolve) => (answered = resolve));
      const server = await harness.serve(async (request, info) => {
        const path = new URL(request.url).pathname;
        seen[path] = { request, info }; // neither signal nor completed is read here
        if (path === "/left") {
          handling();
          await gate;
          setTimeout(answered, 0);
        }
        return new Response("x");
      });
      await server.exchange(GET("/answered"));
      assert.equal(seen["/answered"].request.signal.aborted, false);
      await within(seen["/answered"].info.completed, 10_000, "info.completed");
      // In worker mode the connection is the worker's: this thread holds none to watch.
      if (harness.name.includes("worker")) return await server.close();
      const client = await server.connect();
      client.write(GET("/left"));
      await handled;
      client.disconnect();
      await until(
        () => server.hussar.stats().states.closed === 1,
        10_000,
        "the server to see the client leave",
      );
      release();
      await lateAnswered;
      assert.equal(seen["/left"].request.signal.aborted, true);
      await assert.rejects(within(seen["/left"].info.completed, 10_000, "info.completed"));
      await server.close();
    });

    it("refuses to send a Response a second time, as a used body", async () => {
      const once = new Response("once");
      const errors: unknown[] = [];
      const server = await harness.serve(() => once, {
        logger: { ...console, error: (...args: unknown[]) => void errors.push(args) },
        onError: (error) => {
          errors.push(["onError", error]);
          return new Response("not the handler's failure", { status: 503 });
        },
      });
      const responses = parseResponses(await server.exchange(GET() + GET()));
      assert.deepEqual([responses[0].status, responses[0].body], [200, "once"]);
      // The engine's 500 and a close in every mode: hussar could not take the body apart.
      assert.deepEqual(responses.slice(1).map((r) => [r.status, header(r, "connection")]), [
        [500, "close"],
      ]);
      assert.equal(errors.length, 1, "logged once, not given to onError");
      assert.match(String(errors[0]), /request handler failed/);
      await server.close();
    });

    it("passes repeated request fields to the Request, and a body's fields with it", async () => {
      const server = await harness.serve(async (request) =>
        new Response(
          `${request.method} ${request.headers.get("x-a")} ${
            request.headers.get("content-type")
          } ${await request
            .text()}`,
        )
      );
      const text = await server.exchange(
        GET("/", "X-A: 1\r\nX-A: 2\r\n") +
          "POST / HTTP/1.1\r\nHost: h\r\nX-A: 3\r\nContent-Type: text/x\r\nContent-Length: 2\r\n\r\nhi",
      );
      assert.deepEqual(parseResponses(text).map((r) => r.body), [
        "GET 1, 2 null ",
        "POST 3 text/x hi",
      ]);
      await server.close();
    });

    it("streams server-sent events past the keep-alive timeout", async () => {
      // The stream outlasts both timeouts; neither may cut it. The headers timeout starts
      // at accept, so it must leave a busy machine time to deliver the request first.
      const headersTimeoutMs = 1000;
      const server = await harness.serve(() =>
        new Response(
          new ReadableStream<Uint8Array>({
            async start(controller) {
              for (let i = 0; i < 3; i++) {
                controller.enqueue(new TextEncoder().encode(`data: ${i}\n\n`));
                if (i < 2) await tick(headersTimeoutMs / 2 + 100);
              }
              controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ), { keepAliveTimeoutMs: 30, headersTimeoutMs });
      const [response] = parseResponses(await server.exchange(GET()));
      assert.equal(response.body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
      await server.close();
    });

    it("cancels the response stream when the client goes away", async () => {
      let cancelled!: () => void;
      const wasCancelled = new Promise<void>((resolve) => (cancelled = resolve));
      const server = await harness.serve(() =>
        new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              await tick(5);
              controller.enqueue(new TextEncoder().encode("tick\n"));
            },
            cancel: () => cancelled(),
          }),
        )
      );
      const client = await server.connect();
      client.write(GET());
      await client.waitFor(/tick/);
      client.disconnect();
      await wasCancelled;
      await server.hussar.whenEmpty();
      await server.close();
    });

    it("cancels a response stream that has said nothing yet when the client goes away", async () => {
      let cancelled!: () => void;
      const wasCancelled = new Promise<void>((resolve) => (cancelled = resolve));
      let handling!: () => void;
      const handled = new Promise<void>((resolve) => (handling = resolve));
      const server = await harness.serve(() => {
        handling();
        return new Response(new ReadableStream<Uint8Array>({ cancel: () => cancelled() }));
      });
      const client = await server.connect();
      client.write(GET());
      await handled;
      await tick(20);
      client.disconnect();
      await wasCancelled;
      await server.hussar.whenEmpty();
      await server.close();
    });

    it("serves keep-alive and pipelined requests in order", async () => {
      const server = await harness.serve(async (request) => {
        const delay = Number(new URL(request.url).searchParams.get("d"));
        await tick(delay);
        return new Response(`d=${delay}`);
      });
      const text = await server.exchange(GET("/?d=30") + GET("/?d=1") + GET("/?d=10"));
      assert.deepEqual(parseResponses(text).map((r) => r.body), ["d=30", "d=1", "d=10"]);
      await server.close();
    });

    it("enforces the engine's limits the same way", async () => {
      const server = await harness.serve(() => new Response("never"));
      const [response] = parseResponses(
        await server.exchange(GET("/", `X-Big: ${"a".repeat(20_000)}\r\n`)),
      );
      assert.equal(response.status, 431);
      await server.close();
    });
  });
}

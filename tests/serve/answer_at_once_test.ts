/**
 * A handler that answers at once is answered at once: its `Response` goes
 * out in the turn that called the handler, with no Promise for the
 * connection's thread to wait for. On Bun, so does a Promise already
 * fulfilled (an `async` handler that did not wait), read with `Bun.peek`.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { httpHandler, type IncomingRequest } from "../../httputil/mod.ts";
import { MADE_BODY } from "../../httputil/_body_slots.ts";
import type { FetchHandler } from "../../serve/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import type { Connection } from "../../core/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { parseResponses } from "../_http.ts";

const BUN = "Bun" in globalThis;
const GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

/**
 * Serves `count` GETs on one connection (the last asks to close); the
 * responses' bodies, and how often a thread was resumed with a settled
 * Promise.
 */
async function serveGets(
  handler: FetchHandler,
  count: number,
  onError?: (error: unknown) => Response,
): Promise<{ bodies: string[]; statuses: number[]; promiseWaits: number }> {
  const hussar = new Hussar({ handler: httpHandler(fetchApp(handler, { onError })) });
  let promiseWaits = 0;
  hussar.scheduler.watch({
    onResume: (_thread, signal) => void (signal.kind === "settled" && promiseWaits++),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  const client = source.connect();
  client.write(GET.repeat(count - 1) + "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  const responses = parseResponses(await client.readText());
  await hussar.whenEmpty();
  await hussar.close();
  return {
    bodies: responses.map((response) => response.body),
    statuses: responses.map((response) => response.status),
    promiseWaits,
  };
}

/** An `onError` that notes each error in `reasons` and answers 502. */
function recordingOnError(reasons: unknown[]): (error: unknown) => Response {
  return (error) => {
    reasons.push(error);
    return new Response("onError's", { status: 502 });
  };
}

describe("serve: a handler's answer given at once", () => {
  it("is written without waiting for a Promise when the handler returns a Response", async () => {
    let calls = 0;
    const { bodies, promiseWaits } = await serveGets(() => new Response(`r${++calls}`), 3);
    assert.deepEqual(bodies, ["r1", "r2", "r3"]);
    assert.equal(promiseWaits, 0);
  });

  it("is written without waiting on Bun when the Promise is already fulfilled; else waited for once", async () => {
    let calls = 0;
    // deno-lint-ignore require-await
    const { bodies, promiseWaits } = await serveGets(async () => new Response(`r${++calls}`), 3);
    assert.deepEqual(bodies, ["r1", "r2", "r3"]);
    assert.equal(promiseWaits, BUN ? 0 : 3);
  });

  it("waits for a Promise still pending, everywhere", async () => {
    const { bodies, promiseWaits } = await serveGets(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return new Response("later");
    }, 2);
    assert.deepEqual(bodies, ["later", "later"]);
    assert.equal(promiseWaits, 2);
  });

  it("takes a Promise rejected at once as a failure, even when its reason is a Response", async () => {
    const reasons: unknown[] = [];
    const { bodies, statuses } = await serveGets(
      () => Promise.reject(new Response("not an answer")),
      2,
      recordingOnError(reasons),
    );
    assert.deepEqual(statuses, [502, 502]);
    assert.deepEqual(bodies, ["onError's", "onError's"]);
    assert.equal(reasons.length, 2);
    assert.ok(reasons[0] instanceof Response);
  });

  it("takes a handler's synchronous throw, or a thing that is no Response, to onError", async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    const { statuses } = await serveGets(
      () => {
        if (++calls === 1) throw new Error("at once");
        return "text" as unknown as Response;
      },
      2,
      recordingOnError(reasons),
    );
    assert.deepEqual(statuses, [502, 502]);
    assert.equal((reasons[0] as Error).message, "at once");
    assert.match((reasons[1] as Error).message, /must return a Response, not \[object String\]/);
  });
});

describe("serve: a handler's answer given later", () => {
  /** A `PromiseLike` that is no Promise, answering `value` on a later task. */
  const thenable = (value: unknown): PromiseLike<Response> => ({
    then(resolve?: ((value: never) => unknown) | null) {
      setTimeout(() => resolve?.(value as never), 0);
      return this as unknown as PromiseLike<never>;
    },
  });

  it("adopts a thenable's Response, and takes one of something else to onError", async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    const { statuses, bodies } = await serveGets(
      () => thenable(++calls === 1 ? new Response("from a thenable") : 42) as Promise<Response>,
      2,
      recordingOnError(reasons),
    );
    assert.deepEqual(statuses, [200, 502]);
    assert.deepEqual(bodies, ["from a thenable", "onError's"]);
    assert.match((reasons[0] as Error).message, /must return a Response, not \[object Number\]/);
  });

  it("takes a Promise fulfilled later with no Response, or rejected later, to onError", async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    const { statuses } = await serveGets(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (++calls === 1) throw new Error("later");
        return null as unknown as Response;
      },
      2,
      recordingOnError(reasons),
    );
    assert.deepEqual(statuses, [502, 502]);
    assert.equal((reasons[0] as Error).message, "later");
    assert.match((reasons[1] as Error).message, /must return a Response, not \[object Null\]/);
  });

  it("takes a Promise whose `constructor` throws to onError, as `await` would", async () => {
    const reasons: unknown[] = [];
    const { statuses } = await serveGets(
      () => {
        const promise = new Promise<Response>(() => {});
        Object.defineProperty(promise, "constructor", {
          get() {
            throw new Error("no constructor");
          },
        });
        return promise;
      },
      1,
      recordingOnError(reasons),
    );
    assert.deepEqual(statuses, [502]);
    assert.equal((reasons[0] as Error).message, "no constructor");
  });
});

describe("serve: what an exchange makes", () => {
  it("makes no body reader for a request without a body", async () => {
    const app = fetchApp(() => new Response("ok"));
    const made: (object | null)[] = [];
    const hussar = new Hussar({
      handler: httpHandler((incoming: IncomingRequest, conn: Connection) => {
        const answered = app(incoming, conn);
        made.push((incoming as unknown as { [MADE_BODY]: object | null })[MADE_BODY]);
        return answered;
      }),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    client.write(
      GET + "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
    );
    assert.deepEqual(parseResponses(await client.readText()).map((r) => r.body), ["ok", "ok"]);
    await hussar.whenEmpty();
    await hussar.close();
    assert.equal(made[0], null, "a GET's");
    assert.notEqual(made[1], null, "a POST's is the one it came with");
  });
});

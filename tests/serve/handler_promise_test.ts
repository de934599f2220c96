/**
 * An `async` handler's answer reaches the connection's thread through one
 * reaction on the handler's Promise: the thread resumes in the microtask
 * after that reaction (the scheduler's settled wake), not after a derived
 * Promise of the fetch adapter's and a second reaction on that.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import { FakeSource } from "../../sources/mod.ts";
import { parseResponses } from "../_http.ts";

/**
 * Serves one GET whose handler's Promise the test fulfils with `value` once
 * the thread waits for it; counts the microtasks that ran from then until
 * the thread resumed with the settled Promise, and returns the response.
 */
async function microtasksToResume(
  value: unknown,
  onError?: (error: unknown) => Response,
): Promise<{ microtasks: number; resumes: number; status: number; body: string }> {
  let fulfil: ((value: unknown) => void) | null = null;
  let called: () => void;
  const handlerCalled = new Promise<void>((resolve) => (called = resolve));
  const hussar = new Hussar({
    handler: httpHandler(fetchApp(() => {
      called();
      return new Promise<unknown>((resolve) => (fulfil = resolve)) as Promise<Response>;
    }, { onError, logger: false })),
  });
  let ticks = 0;
  let resumedAt = -1;
  let resumes = 0;
  hussar.scheduler.watch({
    onResume: (_thread, signal) => {
      if (signal.kind !== "settled") return;
      resumes++;
      if (resumedAt < 0) resumedAt = ticks;
    },
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  const client = source.connect();
  client.write("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  await handlerCalled;
  // A host task later the thread has yielded the handler's Promise and waits.
  await new Promise((resolve) => setTimeout(resolve, 0));
  fulfil!(value);
  const step = (): void => {
    ticks++;
    if (ticks < 20) queueMicrotask(step);
  };
  queueMicrotask(step);
  const [response] = parseResponses(await client.readText());
  await hussar.whenEmpty();
  await hussar.close();
  return { microtasks: resumedAt, resumes, status: response!.status, body: response!.body };
}

describe("serve: an async handler's answer", () => {
  it("resumes the thread in the microtask after the handler's Promise's one reaction", async () => {
    const { microtasks, resumes, status, body } = await microtasksToResume(new Response("later"));
    assert.equal(status, 200);
    assert.equal(body, "later");
    assert.equal(resumes, 1);
    // The scheduler's reaction lands the wake, which runs next: one counting microtask in between.
    // Through a derived Promise of the adapter's, it was 2.
    assert.equal(microtasks, 1);
  });

  it("answers a value that is not a Response with onError, after the same one reaction", async () => {
    const errors: unknown[] = [];
    const { microtasks, status, body } = await microtasksToResume("not a response", (error) => {
      errors.push(error);
      return new Response("onError's", { status: 502 });
    });
    assert.equal(microtasks, 1);
    assert.equal(status, 502);
    assert.equal(body, "onError's");
    assert.ok(errors[0] instanceof TypeError);
  });
});

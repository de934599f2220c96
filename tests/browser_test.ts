/**
 * The demo page (demo/app.ts) in a real browser: Debian's headless
 * Chromium, driven by playwright-core, loads it from the demo handler served
 * by this runtime and the test reads what the page shows.
 *
 * Each part of the page has its own test below; a new part gets a test of
 * the same shape: `open()` the page, wait for the
 * element the part fills with `shows()`, assert its text. One more loads the
 * page over TLS (a self-signed certificate, its error ignored), where ALPN
 * gives HTTP/2.
 *
 * Chromium comes from `apt-get install chromium`; set `HUSSAR_CHROMIUM` for
 * another binary. Without one the tests skip, saying so (under CI=true they
 * fail: CI must have it).
 */
import { after, describe, it } from "./_testing.ts";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import process from "node:process";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { demoHandler } from "../demo/app.ts";
import { type HttpServer, serve } from "../serve/mod.ts";
import { selfSignedCertificate } from "./_tls.ts";

const CHROMIUM = process.env.HUSSAR_CHROMIUM ?? "/usr/bin/chromium";
const IN_CI = process.env.CI === "true";
const SKIP = existsSync(CHROMIUM) || IN_CI
  ? false
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set HUSSAR_CHROMIUM): skipped`;
// Deno and Bun do not print a skip's reason: say it once here.
if (SKIP) console.log(`tests/browser_test.ts: ${SKIP}`);
/** Browser start-up and a page's first load take seconds on a busy machine. */
const TIMEOUT = 60_000;
const RUNTIME = (globalThis as { Deno?: unknown }).Deno
  ? "Deno"
  : (globalThis as { Bun?: unknown }).Bun
  ? "Bun"
  : "Node";

describe(`the demo page in headless Chromium, served by ${RUNTIME}`, () => {
  let server: HttpServer | undefined;
  let tlsServer: HttpServer | undefined;
  let browser: Promise<Browser> | undefined;
  const contexts: BrowserContext[] = [];

  /**
   * A fresh browser context (its own connections) on the demo page, served
   * over TLS with a self-signed certificate (whose error the context
   * ignores) when `tls` is set.
   */
  async function open(
    tls = false,
  ): Promise<{ page: Page; context: BrowserContext; server: HttpServer }> {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (required under CI=true)`);
    const options = { hostname: "127.0.0.1", port: 0, onListen() {} };
    const serving = tls
      ? tlsServer ??= serve({ ...options, tls: selfSignedCertificate() }, demoHandler)
      : server ??= serve(options, demoHandler);
    browser ??= chromium.launch({ executablePath: CHROMIUM });
    await serving.ready;
    const context = await (await browser).newContext({ ignoreHTTPSErrors: tls });
    contexts.push(context);
    const page = await context.newPage();
    const response = await page.goto(serving.url);
    assert.equal(response?.status(), 200);
    return { page, context, server: serving };
  }

  /** Waits until the element's text matches `pattern`; returns the text. */
  async function shows(page: Page, selector: string, pattern: RegExp): Promise<string> {
    const handle = await page.waitForFunction(
      ([selector, source, flags]) => {
        // Runs in the page; typed by hand since the test itself is not built with the DOM library.
        const page = globalThis as unknown as {
          document: { querySelector(selector: string): { textContent: string | null } | null };
        };
        const text = page.document.querySelector(selector)?.textContent ?? "";
        return new RegExp(source, flags).test(text) ? text : null;
      },
      [selector, pattern.source, pattern.flags] as const,
      { timeout: 15_000 },
    );
    return await handle.jsonValue() as string;
  }

  /** Until every connection of the server has gone (or fails after 10 s). */
  async function connectionsGone(server: HttpServer): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (server.hussar.connectionCount > 0) {
      assert.ok(Date.now() < deadline, `${server.hussar.connectionCount} connection(s) left`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    if (browser !== undefined) await (await browser).close();
    await server?.close();
    await tlsServer?.close();
  });

  it("shows which runtime serves it", { skip: SKIP, timeout: TIMEOUT }, async () => {
    const { page, context } = await open();
    assert.equal(await page.title(), "hussar demo");
    assert.match(
      await page.locator("p").first().innerText(),
      new RegExp(`served here by ${RUNTIME}\\.`),
    );
    await context.close();
  });

  it(
    "runs its SSE part: the events arrive in order, and closing the page ends the stream",
    { skip: SKIP, timeout: TIMEOUT },
    async () => {
      const { page, context, server } = await open();
      const text = await shows(page, "#events", /tick 1 at/);
      const lines = text.trim().split("\n");
      assert.equal(lines.length, 2, text);
      lines.forEach((line, i) => {
        assert.match(line, new RegExp(`^tick ${i} at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`));
      });
      assert.ok(server.hussar.connectionCount > 0, "the event stream is open");
      await context.close();
      // The browser went away: the endless SSE response is cancelled, nothing stays.
      await connectionsGone(server);
    },
  );

  it(
    "answers the page's own scripts: POST /echo and the streamed /stream read chunk by chunk",
    { skip: SKIP, timeout: TIMEOUT },
    async () => {
      const { page, context } = await open();
      const result = await page.evaluate(async () => {
        const echo = await fetch("/echo", {
          method: "POST",
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: "from the browser: ünïcödé",
        });
        const reader = (await fetch("/stream")).body!.pipeThrough(new TextDecoderStream())
          .getReader();
        let streamed = "";
        let reads = 0;
        for (let step = await reader.read(); !step.done; step = await reader.read()) {
          streamed += step.value;
          reads++;
        }
        return { echo: await echo.text(), type: echo.headers.get("content-type"), streamed, reads };
      });
      assert.equal(result.echo, "from the browser: ünïcödé");
      assert.equal(result.type, "text/plain; charset=utf-8");
      assert.equal(
        result.streamed,
        Array.from({ length: 10 }, (_, i) => `line ${i + 1} of 10\n`).join(""),
      );
      // Lines 100 ms apart reach the page as they are sent, not all at the end.
      assert.ok(result.reads >= 5, `the stream came in ${result.reads} read(s)`);
      await context.close();
    },
  );

  it(
    "runs its WebSocket part: a message typed on the page comes back as an echo",
    { skip: SKIP, timeout: TIMEOUT },
    async () => {
      const { page, context } = await open();
      await page.fill("#message", "ünïcödé over a WebSocket");
      await page.click("#say button");
      await page.fill("#message", "and a second one");
      await page.click("#say button");
      const text = await shows(page, "#echoes", /second one/);
      assert.deepEqual(text.trim().split("\n"), [
        "echo: ünïcödé over a WebSocket",
        "echo: and a second one",
      ]);
      await context.close();
    },
  );

  it(
    "negotiates permessage-deflate on the demo's WebSocket and echoes a large message",
    { skip: SKIP, timeout: TIMEOUT },
    async () => {
      const { page, context } = await open();
      const result = await page.evaluate(async () => {
        const socket = new WebSocket(new URL("/ws", location.href.replace(/^http/, "ws")));
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        const message = Array.from({ length: 5000 }, (_, i) => `line ${i % 97} ünïcödé`).join("\n");
        const echoes: string[] = [];
        for (let i = 0; i < 2; i++) {
          socket.send(message);
          echoes.push(await new Promise((resolve) => (socket.onmessage = (e) => resolve(e.data))));
        }
        socket.close();
        return {
          extensions: socket.extensions,
          same: echoes.every((e) => e === `echo: ${message}`),
        };
      });
      assert.match(result.extensions, /^permessage-deflate/);
      assert.equal(result.same, true, "both echoes are the message");
      await context.close();
    },
  );

  it(
    "loads over TLS with HTTP/2, negotiated by ALPN",
    { skip: SKIP, timeout: TIMEOUT },
    async () => {
      const { page, context, server } = await open(true);
      assert.match(server.url, /^https:/);
      assert.equal(await page.title(), "hussar demo");
      // Runs in the page: the navigation entry says which protocol carried the page.
      const protocol = await page.evaluate(() =>
        (globalThis as unknown as {
          performance: { getEntries(): { nextHopProtocol: string }[] };
        }).performance.getEntries()[0].nextHopProtocol
      );
      assert.equal(protocol, "h2");
      await context.close();
    },
  );
});

/**
 * End-to-end run of the Http11Probe corpus (`shared/conformance/`) through
 * the HTTP engine over the fake source: each case's raw request is sent to a
 * server that answers `GET` with 200 and echoes a `POST` body, and the first
 * answer is judged against the case's `expected` text (the part scored as a
 * pass). Cases stored cut off at 8,192 characters, or with non-ASCII bytes
 * stored as `?`, are rebuilt from their id and description first.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { Scheduler, VirtualClock } from "../../scheduler/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { conformanceDir } from "../_shared.ts";
import { parseResponses } from "../_http.ts";

interface ProbeCase {
  id: string;
  category: string;
  description: string;
  expected: string;
  rawRequest: string;
}

const HOST = "Host: localhost:8080\r\n";
const REBUILT: Record<string, string> = {
  "MAL-LONG-URL": `GET /${"A".repeat(100_000)} HTTP/1.1\r\n${HOST}\r\n`,
  "MAL-LONG-HEADER-VALUE": `GET / HTTP/1.1\r\n${HOST}X-Big: ${"B".repeat(100_000)}\r\n\r\n`,
  "MAL-MANY-HEADERS": `GET / HTTP/1.1\r\n${HOST}${
    Array.from({ length: 10_000 }, (_, i) => `X-H-${i}: value\r\n`).join("")
  }\r\n`,
  "MAL-LONG-HEADER-NAME": `GET / HTTP/1.1\r\n${HOST}${"A".repeat(100_000)}: v\r\n\r\n`,
  "MAL-LONG-METHOD": `${"A".repeat(100_000)} / HTTP/1.1\r\n${HOST}\r\n`,
  "MAL-CHUNK-EXT-64K": `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;ext=${
    "a".repeat(65_536)
  }\r\nhello\r\n0\r\n\r\n`,
  // Latin1 strings stand for the exact bytes.
  "MAL-NON-ASCII-HEADER-NAME": `GET / HTTP/1.1\r\n${HOST}X-T\xc3\xabst: value\r\n\r\n`,
  "MAL-NON-ASCII-URL": `GET /caf\xc3\xa9 HTTP/1.1\r\n${HOST}\r\n`,
  "MAL-URL-OVERLONG-UTF8": `GET /\xc0\xaf HTTP/1.1\r\n${HOST}\r\n`,
};

interface Outcome {
  /** First final status, or null when the server answered nothing. */
  status: number | null;
  /** Whether the server closed the connection after (or without) answering. */
  closed: boolean;
  /** Whether nothing at all came back before the close. */
  silent: boolean;
}

/** Whether `outcome` satisfies the pass part of Http11Probe's `expected` text. */
export function satisfies(expected: string, outcome: Outcome): boolean {
  const scored = expected.includes("(pass)")
    ? expected.slice(0, expected.indexOf("(pass)"))
    : expected;
  if (scored.trim().startsWith("!")) return outcome.status !== Number(scored.trim().slice(1));
  return scored.split(/\s+or\s+|\//).map((alt) => alt.trim()).filter(Boolean).some((alt) => {
    const [what, plus] = alt.split(/\s*\+\s*/);
    const statusOk = what === "close"
      ? outcome.closed && (outcome.silent || (outcome.status !== null && outcome.status >= 400))
      : what === "timeout"
      ? outcome.status === 408 || outcome.silent
      : what.endsWith("xx")
      ? outcome.status !== null && Math.floor(outcome.status / 100) === Number(what[0])
      : outcome.status === Number(what);
    return statusOk && (plus !== "close" || outcome.closed);
  });
}

async function run(raw: string): Promise<Outcome> {
  const hussar = new Hussar({
    scheduler: new Scheduler({ clock: new VirtualClock() }),
    handler: httpHandler(function* (request) {
      if (request.head.method === "POST") {
        return { status: 200, body: yield* request.body.readAll() };
      }
      return { status: 200, body: "ok" };
    }, { onError: () => {} }),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  const client = source.connect();
  client.write(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
  // The client stays open: the server must decide by itself (idle and header
  // deadlines run on virtual time).
  const text = await client.readText();
  await hussar.close();
  const head = raw.startsWith("HEAD ");
  const responses = parseResponses(text, (i) => head && i === 0).filter((r) => r.status >= 200);
  return { status: responses[0]?.status ?? null, closed: client.ended, silent: text === "" };
}

const dir = conformanceDir();
const file = dir === null ? null : new URL("http11probe-cases.json", dir);
const available = file !== null && existsSync(file);

describe("Http11Probe corpus, end to end", () => {
  if (!available) {
    it("finds the corpus (required under CI=true)", {
      skip: process.env.CI === "true"
        ? false
        : "shared/conformance not found: skipped (CI=true fails)",
    }, () => {
      assert.fail("shared/conformance/http11probe-cases.json is missing");
    });
    return;
  }
  const cases = (JSON.parse(readFileSync(file!, "utf8")) as { tests: ProbeCase[] }).tests;
  it("has the published 143 cases", () => assert.equal(cases.length, 143));
  for (const probe of cases) {
    it(`${probe.id}: ${probe.description} (expected ${probe.expected})`, async () => {
      const outcome = await run(REBUILT[probe.id] ?? probe.rawRequest);
      assert.ok(satisfies(probe.expected, outcome), `got ${JSON.stringify(outcome)}`);
    });
  }
});

describe("Http11Probe expectation judge", () => {
  it("reads alternatives, status classes, close, timeout, + close and negations", () => {
    const answered = (status: number, closed = false): Outcome => ({
      status,
      closed,
      silent: false,
    });
    const silentClose: Outcome = { status: null, closed: true, silent: true };
    assert.ok(satisfies("400 or close", answered(400, true)));
    assert.ok(satisfies("400 or close", silentClose));
    assert.ok(!satisfies("400 or close", answered(200)));
    assert.ok(satisfies("400/close/timeout", answered(408, true)));
    assert.ok(satisfies("2xx + close", answered(204, true)));
    assert.ok(!satisfies("2xx + close", answered(200)));
    assert.ok(satisfies("!101", answered(400)));
    assert.ok(!satisfies("!101", answered(101)));
    assert.ok(satisfies("400 or close (pass), 2xx (warn)", answered(400, true)));
    assert.ok(!satisfies("400 or close (pass), 2xx (warn)", answered(200)));
    assert.ok(satisfies("400/405/501 or 2xx", answered(501, true)));
  });
});

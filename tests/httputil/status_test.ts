import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { code2status, isNullBodyStatus, status2code, STATUS_TEXT } from "../../httputil/status.ts";
import { defaultMethods, isDefaultMethod } from "../../httputil/methods.ts";
import { httpDate } from "../../httputil/date.ts";

describe("status tables", () => {
  it("holds the registered codes of every class, and not the unused 306 and 418", () => {
    const codes = Object.keys(STATUS_TEXT).map(Number);
    assert.equal(codes.length, 61);
    for (const code of [100, 103, 200, 226, 308, 400, 421, 451, 500, 511]) {
      assert.ok(codes.includes(code), `${code}`);
    }
    assert.ok(!codes.includes(306) && !codes.includes(418));
  });

  it("uses RFC 9110's reason phrases", () => {
    assert.equal(code2status(413), "Content Too Large");
    assert.equal(code2status(422), "Unprocessable Content");
    assert.equal(code2status(302), "Found");
    assert.equal(code2status(431), "Request Header Fields Too Large");
  });

  it("round-trips every registered code through its phrase", () => {
    for (const [code, phrase] of Object.entries(STATUS_TEXT)) {
      assert.equal(status2code(phrase), Number(code));
      assert.equal(code2status(Number(code)), phrase);
    }
  });

  it("finds phrases case-insensitively and refuses unknown ones", () => {
    assert.equal(status2code("  NOT found "), 404);
    assert.throws(() => status2code("Teapot"), RangeError);
  });

  it("gives an empty phrase for an unregistered valid code and refuses invalid codes", () => {
    assert.equal(code2status(299), "");
    for (const bad of [99, 600, 200.5, Number.NaN]) {
      assert.throws(() => code2status(bad), RangeError);
    }
  });

  it("knows which statuses never carry content", () => {
    assert.deepEqual([100, 101, 199, 204, 304].map(isNullBodyStatus), [
      true,
      true,
      true,
      true,
      true,
    ]);
    assert.deepEqual([200, 205, 404].map(isNullBodyStatus), [false, false, false]);
  });
});

describe("default methods", () => {
  it("serve the RFC 9110 methods without CONNECT and TRACE, plus PATCH", () => {
    assert.deepEqual([...defaultMethods].sort(), [
      "DELETE",
      "GET",
      "HEAD",
      "OPTIONS",
      "PATCH",
      "POST",
      "PUT",
    ]);
    assert.equal(isDefaultMethod("TRACE"), false);
    assert.equal(isDefaultMethod("CONNECT"), false);
  });

  it("are case-sensitive, as methods are", () => {
    assert.equal(isDefaultMethod("get"), false);
  });

  it("cannot be changed by users", () => {
    assert.throws(() => (defaultMethods as string[]).push("BREW"));
  });
});

describe("httpDate", () => {
  it("formats an IMF-fixdate in GMT", () => {
    assert.equal(httpDate(Date.UTC(1994, 10, 6, 8, 49, 37)), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert.equal(httpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  });

  it("gives the same text within one second and a new one for the next", () => {
    const base = Date.UTC(2026, 0, 2, 3, 4, 5);
    assert.equal(httpDate(base + 999), httpDate(base));
    assert.equal(httpDate(base + 1000), "Fri, 02 Jan 2026 03:04:06 GMT");
  });
});

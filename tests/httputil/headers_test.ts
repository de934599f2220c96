import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { HeaderList, isFieldValue, isToken } from "../../httputil/headers.ts";
import { InvalidHeaderError } from "../../httputil/errors.ts";

describe("isToken: RFC 9110 §5.6.2 tchar", () => {
  it("accepts letters, digits and the tchar symbols", () => {
    assert.equal(isToken("Content-Type"), true);
    assert.equal(isToken("x-1"), true);
    assert.equal(isToken("!#$%&'*+-.^_`|~"), true);
  });

  it("rejects the empty string, separators, whitespace, controls and non-ASCII", () => {
    for (const bad of ["", "a b", "a:b", "a\tb", "(x)", 'a"b', "a/b", "a@b", "a\0", "é", "a\r\n"]) {
      assert.equal(isToken(bad), false, JSON.stringify(bad));
    }
  });
});

describe("isFieldValue: RFC 9110 §5.5 field-value", () => {
  it("accepts visible ASCII, inner SP/HTAB, obs-text and the empty value", () => {
    assert.equal(isFieldValue(""), true);
    assert.equal(isFieldValue("text/html; q=0.9"), true);
    assert.equal(isFieldValue("a\tb"), true);
    assert.equal(isFieldValue("D\u00fcsseldorf\u00ff"), true);
  });

  it("rejects CR, LF, NUL, other controls and DEL", () => {
    for (const bad of ["a\rb", "a\nb", "a\0b", "a\x01", "a\x0bb", "a\x7fb", "a\r\nX-Injected: 1"]) {
      assert.equal(isFieldValue(bad), false, JSON.stringify(bad));
    }
  });

  it("rejects leading or trailing whitespace, which is not part of a value", () => {
    assert.equal(isFieldValue(" a"), false);
    assert.equal(isFieldValue("a\t"), false);
  });

  it("rejects characters above U+00FF: a value is a byte string", () => {
    assert.equal(isFieldValue("\u20ac"), false);
  });
});

describe("HeaderList", () => {
  it("looks names up case-insensitively and keeps the original case and order", () => {
    const headers = new HeaderList();
    headers.append("Content-Type", "text/plain");
    headers.append("X-A", "1");
    headers.append("x-a", "2");
    assert.equal(headers.get("content-type"), "text/plain");
    assert.equal(headers.get("X-a"), "1, 2");
    assert.deepEqual(headers.getAll("X-A"), ["1", "2"]);
    assert.deepEqual([...headers], [["Content-Type", "text/plain"], ["X-A", "1"], ["x-a", "2"]]);
    assert.deepEqual([...headers.entries()], [...headers]);
    assert.equal(headers.size, 3);
  });

  it("calls forEach's callback with value and name, in order, with thisArg as this", () => {
    const headers = new HeaderList([["Content-Type", "text/plain"], ["X-A", "1"], ["x-a", "2"]]);
    const seen: string[] = [];
    headers.forEach(function (this: string[], value, name) {
      this.push(`${name}=${value}`);
    }, seen);
    assert.deepEqual(seen, ["Content-Type=text/plain", "X-A=1", "x-a=2"]);
  });

  it("returns null and [] for absent names", () => {
    const headers = new HeaderList();
    assert.equal(headers.get("x"), null);
    assert.deepEqual(headers.getAll("x"), []);
    assert.equal(headers.has("x"), false);
  });

  it("does not join set-cookie: get returns the first, getAll all of them", () => {
    const headers = new HeaderList([["Set-Cookie", "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT"], [
      "set-cookie",
      "b=2",
    ]]);
    assert.equal(headers.get("SET-COOKIE"), "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
    assert.deepEqual(headers.getAll("set-cookie"), [
      "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
      "b=2",
    ]);
  });

  it("set replaces every field of the name in place of the first one", () => {
    const headers = new HeaderList([["A", "1"], ["B", "2"], ["a", "3"], ["C", "4"]]);
    headers.set("a", "9");
    assert.deepEqual([...headers], [["a", "9"], ["B", "2"], ["C", "4"]]);
    headers.set("D", "5");
    assert.deepEqual([...headers].at(-1), ["D", "5"]);
  });

  it("delete removes every field of the name and says whether one was there", () => {
    const headers = new HeaderList([["A", "1"], ["B", "2"], ["a", "3"]]);
    assert.equal(headers.delete("A"), true);
    assert.deepEqual([...headers], [["B", "2"]]);
    assert.equal(headers.delete("A"), false);
    assert.equal(headers.has("b"), true);
    assert.equal(headers.size, 1);
  });

  it("is built from pairs, from a record, or from another list", () => {
    assert.deepEqual([...new HeaderList({ "X-A": "1", b: "2" })], [["X-A", "1"], ["b", "2"]]);
    const copy = new HeaderList(new HeaderList([["A", "1"]]));
    assert.deepEqual([...copy], [["A", "1"]]);
  });

  it("strips leading and trailing SP/HTAB from appended values", () => {
    const headers = new HeaderList();
    headers.append("A", " \t1 2\t ");
    headers.set("B", "  x");
    assert.deepEqual([...headers], [["A", "1 2"], ["B", "x"]]);
  });

  it("throws InvalidHeaderError for a name that is not a token", () => {
    const headers = new HeaderList();
    for (const bad of ["", "a b", "a:", "a\r\n"]) {
      assert.throws(() => headers.append(bad, "v"), InvalidHeaderError);
      assert.throws(() => headers.set(bad, "v"), InvalidHeaderError);
    }
    assert.throws(() => new HeaderList({ "bad name": "v" }), InvalidHeaderError);
    assert.equal(headers.size, 0);
  });

  it("throws InvalidHeaderError for a value with CR, LF, NUL or controls (no header injection)", () => {
    const headers = new HeaderList();
    for (const bad of ["a\r\nSet-Cookie: x", "a\nb", "a\rb", "a\0", "\x7f", "\u0100"]) {
      assert.throws(
        () => headers.append("X", bad),
        (e: unknown) => e instanceof InvalidHeaderError && e.headerName === "X",
      );
      assert.throws(() => headers.set("X", bad), InvalidHeaderError);
    }
    assert.equal(headers.size, 0);
  });
});

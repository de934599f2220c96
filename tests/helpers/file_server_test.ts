import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { serveDir, type ServeDirOptions, serveFile } from "../../helpers/mod.ts";
import { serve } from "../../serve/mod.ts";

const HELLO = "hello, world"; // 12 bytes
const CSS = "body { color: red; }\n".repeat(50);
/** 3 MiB and a bit, not a multiple of the read size, with a pattern that shows misplaced bytes. */
const BIG_SIZE = 3 * 1024 * 1024 + 123;

function bigContent(): Uint8Array {
  const bytes = new Uint8Array(BIG_SIZE);
  for (let i = 0; i < BIG_SIZE; i++) bytes[i] = (i * 7 + (i >> 13)) & 0xff;
  return bytes;
}

let base: string;
let root: string;
let big: Uint8Array;

before(() => {
  base = mkdtempSync(join(tmpdir(), "hussar-files-"));
  root = join(base, "root");
  const outside = join(base, "outside");
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, "hello.txt"), HELLO);
  writeFileSync(join(root, "index.html"), "<h1>root</h1>");
  writeFileSync(join(root, "sub", "index.html"), "<h1>sub</h1>");
  writeFileSync(join(root, "style.css"), CSS);
  writeFileSync(join(root, "style.css.gz"), gzipSync(CSS));
  writeFileSync(join(root, "style.css.br"), brotliCompressSync(CSS));
  writeFileSync(join(root, "empty.txt"), "");
  writeFileSync(join(root, "data.unknownext"), "?");
  writeFileSync(join(root, ".env"), "SECRET=1");
  big = bigContent();
  writeFileSync(join(root, "big.bin"), big);
  writeFileSync(join(outside, "secret.txt"), "top secret");
  symlinkSync(join(outside, "secret.txt"), join(root, "escape.txt"));
  symlinkSync(outside, join(root, "escape-dir"));
  symlinkSync(join(root, "hello.txt"), join(root, "alias.txt"));
});

after(() => rmSync(base, { recursive: true, force: true }));

const dir = (path: string, init: RequestInit = {}, options: Partial<ServeDirOptions> = {}) =>
  serveDir(new Request(`http://x${path}`, init), { root, ...options });

describe("serveFile()", () => {
  it("answers GET with the file, its type, length, weak ETag, Last-Modified and Accept-Ranges", async () => {
    const response = await serveFile(new Request("http://x/"), join(root, "hello.txt"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-length"), "12");
    assert.match(response.headers.get("etag")!, /^W\/"c-[0-9a-f]+"$/);
    assert.ok(!Number.isNaN(Date.parse(response.headers.get("last-modified")!)));
    assert.equal(response.headers.get("accept-ranges"), "bytes");
    assert.equal(await response.text(), HELLO);
  });

  it("answers HEAD with the same headers and no body", async () => {
    const get = await serveFile(new Request("http://x/"), join(root, "hello.txt"));
    await get.body?.cancel();
    const head = await serveFile(
      new Request("http://x/", { method: "HEAD" }),
      join(root, "hello.txt"),
    );
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
    assert.equal(head.headers.get("etag"), get.headers.get("etag"));
    assert.equal(head.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(head.headers.get("content-length"), get.headers.get("content-length"));
  });

  it("refuses other methods with 405 and Allow: GET, HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
      const response = await serveFile(
        new Request("http://x/", { method }),
        join(root, "hello.txt"),
      );
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get("allow"), "GET, HEAD");
      await response.body?.cancel();
    }
  });

  it("gives 404 for a missing file and for a directory", async () => {
    for (const path of [join(root, "nope.txt"), join(root, "sub")]) {
      const response = await serveFile(new Request("http://x/"), path);
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
  });

  it("types files by extension, with octet-stream for unknown ones; an empty file has an empty body", async () => {
    const cases: [string, string][] = [
      ["index.html", "text/html; charset=utf-8"],
      ["style.css", "text/css; charset=utf-8"],
      ["big.bin", "application/octet-stream"],
      ["data.unknownext", "application/octet-stream"],
    ];
    for (const [name, type] of cases) {
      const response = await serveFile(new Request("http://x/"), join(root, name), {
        precompressed: false,
      });
      assert.equal(response.headers.get("content-type"), type, name);
      await response.body?.cancel();
    }
    const empty = await serveFile(new Request("http://x/"), join(root, "empty.txt"));
    assert.equal(empty.headers.get("content-length"), "0");
    assert.equal(await empty.text(), "");
  });

  it("adds the caller's headers", async () => {
    const response = await serveFile(new Request("http://x/"), join(root, "hello.txt"), {
      headers: { "cache-control": "max-age=60" },
    });
    assert.equal(response.headers.get("cache-control"), "max-age=60");
    await response.body?.cancel();
  });
});

describe("serveFile(): conditional requests", () => {
  const hello = (headers: HeadersInit = {}, method = "GET") =>
    serveFile(new Request("http://x/", { headers, method }), join(root, "hello.txt"));

  it("answers 304 without a body when If-None-Match holds the ETag (weakly compared), or *", async () => {
    const first = await hello();
    await first.body?.cancel();
    const etag = first.headers.get("etag")!;
    for (const value of [etag, etag.slice(2), `"other", ${etag}`, "*"]) {
      const response = await hello({ "if-none-match": value });
      assert.equal(response.status, 304, value);
      assert.equal(response.body, null);
      assert.equal(response.headers.get("etag"), etag);
      assert.equal(response.headers.get("last-modified"), first.headers.get("last-modified"));
    }
    const head = await hello({ "if-none-match": etag }, "HEAD");
    assert.equal(head.status, 304);
    const other = await hello({ "if-none-match": '"other"' });
    assert.equal(other.status, 200);
    assert.equal(await other.text(), HELLO);
  });

  it("answers 304 when If-Modified-Since is at or after Last-Modified, 200 before or unparsable", async () => {
    const first = await hello();
    await first.body?.cancel();
    const modified = Date.parse(first.headers.get("last-modified")!);
    const at = (ms: number) => new Date(ms).toUTCString();
    assert.equal((await hello({ "if-modified-since": at(modified) })).status, 304);
    assert.equal((await hello({ "if-modified-since": at(modified + 60_000) })).status, 304);
    for (const value of [at(modified - 1000), "yesterday"]) {
      const response = await hello({ "if-modified-since": value });
      assert.equal(response.status, 200, value);
      await response.body?.cancel();
    }
  });

  it("lets If-None-Match take precedence over If-Modified-Since", async () => {
    const first = await hello();
    await first.body?.cancel();
    const response = await hello({
      "if-none-match": '"something-else"',
      "if-modified-since": first.headers.get("last-modified")!,
    });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });
});

describe("serveFile(): ranges", () => {
  const range = (value: string, extra: HeadersInit = {}, method = "GET") =>
    serveFile(
      new Request("http://x/", { method, headers: { range: value, ...extra } }),
      join(root, "hello.txt"),
    );

  it("answers a single satisfiable range with 206, Content-Range and the bytes", async () => {
    const cases: [string, string, string][] = [
      ["bytes=0-4", "bytes 0-4/12", "hello"],
      ["bytes=7-", "bytes 7-11/12", "world"],
      ["bytes=-5", "bytes 7-11/12", "world"],
      ["bytes=5-1000", "bytes 5-11/12", ", world"],
      ["bytes=-100", "bytes 0-11/12", HELLO],
      ["bytes=3-3", "bytes 3-3/12", "l"],
    ];
    for (const [value, contentRange, body] of cases) {
      const response = await range(value);
      assert.equal(response.status, 206, value);
      assert.equal(response.headers.get("content-range"), contentRange, value);
      assert.equal(response.headers.get("content-length"), String(body.length), value);
      assert.equal(await response.text(), body, value);
    }
  });

  it("answers 416 with Content-Range: bytes */size for an unsatisfiable range", async () => {
    for (const value of ["bytes=12-", "bytes=100-200", "bytes=-0"]) {
      const response = await range(value);
      assert.equal(response.status, 416, value);
      assert.equal(response.headers.get("content-range"), "bytes */12", value);
      await response.body?.cancel();
    }
  });

  it("sends the whole file for several ranges, bad syntax, another unit, and on HEAD", async () => {
    for (const value of ["bytes=0-1,3-4", "bytes=x-y", "bytes=5-2", "bytes=-", "items=0-1"]) {
      const response = await range(value);
      assert.equal(response.status, 200, value);
      assert.equal(response.headers.get("content-range"), null, value);
      assert.equal(await response.text(), HELLO, value);
    }
    const head = await range("bytes=0-4", {}, "HEAD");
    assert.equal(head.status, 200);
  });

  it("applies If-Range only for a date equal to Last-Modified (the weak ETag never matches)", async () => {
    const first = await serveFile(new Request("http://x/"), join(root, "hello.txt"));
    await first.body?.cancel();
    const lastModified = first.headers.get("last-modified")!;
    const matching = await range("bytes=0-4", { "if-range": lastModified });
    assert.equal(matching.status, 206);
    assert.equal(await matching.text(), "hello");
    const older = new Date(Date.parse(lastModified) - 1000).toUTCString();
    for (const value of [older, first.headers.get("etag")!, '"c-0"']) {
      const response = await range("bytes=0-4", { "if-range": value });
      assert.equal(response.status, 200, value);
      assert.equal(await response.text(), HELLO, value);
    }
  });
});

describe("serveFile(): precompressed variants", () => {
  const css = (acceptEncoding?: string, extra: HeadersInit = {}) =>
    serveFile(
      new Request("http://x/", {
        headers: acceptEncoding === undefined
          ? extra
          : { "accept-encoding": acceptEncoding, ...extra },
      }),
      join(root, "style.css"),
    );

  it("picks .br or .gz by Accept-Encoding and q-values, with Content-Encoding and Vary", async () => {
    const cases: [string | undefined, string | null, Uint8Array | string][] = [
      ["gzip, deflate, br", "br", brotliCompressSync(CSS)],
      ["gzip", "gzip", gzipSync(CSS)],
      ["br;q=0.5, gzip", "gzip", gzipSync(CSS)],
      ["*", "br", brotliCompressSync(CSS)],
      ["br;q=0, gzip;q=0", null, CSS],
      ["identity", null, CSS],
      [undefined, null, CSS],
    ];
    const etags = new Set<string>();
    for (const [accept, coding, body] of cases) {
      const response = await css(accept);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-encoding"), coding, String(accept));
      assert.equal(response.headers.get("vary"), "Accept-Encoding", String(accept));
      assert.equal(response.headers.get("content-type"), "text/css; charset=utf-8");
      const bytes = new Uint8Array(await response.arrayBuffer());
      const expected = typeof body === "string" ? new TextEncoder().encode(body) : body;
      assert.deepEqual(bytes, new Uint8Array(expected), String(accept));
      etags.add(response.headers.get("etag")!);
    }
    assert.equal(etags.size, 3, "each representation has its own ETag");
  });

  it("serves ranges of the chosen variant, and no Vary for a file without variants", async () => {
    const gz = gzipSync(CSS);
    const response = await css("gzip", { range: "bytes=0-9" });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get("content-range"), `bytes 0-9/${gz.length}`);
    assert.deepEqual(
      new Uint8Array(await response.arrayBuffer()),
      new Uint8Array(gz.subarray(0, 10)),
    );
    const plain = await serveFile(
      new Request("http://x/", { headers: { "accept-encoding": "gzip, br" } }),
      join(root, "hello.txt"),
    );
    assert.equal(plain.headers.get("vary"), null);
    assert.equal(plain.headers.get("content-encoding"), null);
    await plain.body?.cancel();
  });

  it("ignores variants when precompressed is false", async () => {
    const response = await serveFile(
      new Request("http://x/", { headers: { "accept-encoding": "br, gzip" } }),
      join(root, "style.css"),
      { precompressed: false },
    );
    assert.equal(response.headers.get("content-encoding"), null);
    assert.equal(await response.text(), CSS);
  });
});

describe("serveDir()", () => {
  it("serves files under the root and index.html for directories, redirecting to the slash form", async () => {
    assert.equal(await (await dir("/hello.txt")).text(), HELLO);
    assert.equal(await (await dir("/")).text(), "<h1>root</h1>");
    assert.equal(await (await dir("/sub/")).text(), "<h1>sub</h1>");
    const redirect = await dir("/sub?x=1");
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), "/sub/?x=1");
    const noIndex = await dir("/sub/", {}, { index: false });
    assert.equal(noIndex.status, 404);
    await noIndex.body?.cancel();
  });

  it("gives 404 for missing files, a file named as a directory, and dot-files unless allowed", async () => {
    for (const path of ["/missing.txt", "/hello.txt/", "/.env", "/sub/missing/"]) {
      const response = await dir(path);
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
    const allowed = await dir("/.env", {}, { dotfiles: true });
    assert.equal(await allowed.text(), "SECRET=1");
  });

  it("is mounted at urlRoot: other paths get 404", async () => {
    const options = { urlRoot: "/static/" };
    assert.equal(await (await dir("/static/hello.txt", {}, options)).text(), HELLO);
    assert.equal((await dir("/static", {}, options)).headers.get("location"), "/static/");
    for (const path of ["/hello.txt", "/staticx/hello.txt"]) {
      const response = await dir(path, {}, options);
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
  });

  it("refuses encoded slashes, backslashes, NUL, dot segments and bad escapes with 400", async () => {
    const paths = [
      "/..%2foutside/secret.txt",
      "/sub%2F..%2F..%2Foutside%2Fsecret.txt",
      "/..%5coutside%5csecret.txt",
      "/hello.txt%00.html",
      "/%E0%A4%A",
      "/%2e%2e%2foutside",
    ];
    for (const path of paths) {
      // Built by hand: a URL parser would already have removed plain dot segments.
      const request = new Request("http://x/");
      Object.defineProperty(request, "url", { value: `http://x${path}` });
      const response = await serveDir(request, { root });
      assert.equal(response.status, 400, path);
      assert.match(await response.text(), /^Bad Request: /, path);
    }
    const dotted = new Request("http://x/");
    Object.defineProperty(dotted, "url", { value: "http://x/sub/../../outside/secret.txt" });
    // The URL parser resolves plain dot segments first: what is left is looked up under the root.
    const normalised = await serveDir(dotted, { root });
    assert.equal(normalised.status, 404);
    assert.doesNotMatch(await normalised.text(), /top secret/);
  });

  it("never follows a symbolic link out of the root, but follows one that stays inside", async () => {
    for (const path of ["/escape.txt", "/escape-dir/secret.txt", "/escape-dir/"]) {
      const response = await dir(path);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /top secret/, path);
    }
    assert.equal(await (await dir("/alias.txt")).text(), HELLO);
  });

  it("throws a TypeError naming a root that does not exist", async () => {
    await assert.rejects(
      serveDir(new Request("http://x/"), { root: join(base, "no-such-root") }),
      (error: unknown) => error instanceof TypeError && /no-such-root/.test(error.message),
    );
  });

  it("refuses methods other than GET and HEAD before looking at the path", async () => {
    const response = await dir("/missing", { method: "POST", body: "x" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  });
});

/** Open descriptors of this process (Linux), to prove none leaks. */
function openDescriptors(): number {
  return readdirSync("/proc/self/fd").length;
}

function rawGet(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Uint8Array }>(
    (resolve, reject) => {
      const request = httpRequest(
        { host: "127.0.0.1", port, path, headers: { ...headers, connection: "close" } },
        (response) => {
          const chunks: Uint8Array[] = [];
          response.on("data", (chunk: Uint8Array) => chunks.push(chunk));
          response.on("end", () => {
            const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
            let at = 0;
            for (const chunk of chunks) body.set(chunk, (at += chunk.length) - chunk.length);
            resolve({ status: response.statusCode!, headers: response.headers, body });
          });
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end();
    },
  );
}

describe("serveDir() over serve()", () => {
  it("streams a large file whole and in ranges, 304s, 404s traversal, and leaks no descriptor", async () => {
    const server = serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => serveDir(request, { root }),
    );
    await server.ready;
    try {
      const port = server.addr.port;
      const descriptorsBefore = openDescriptors();
      const whole = await rawGet(port, "/big.bin");
      assert.equal(whole.status, 200);
      assert.equal(whole.body.length, BIG_SIZE);
      assert.ok(whole.body.every((byte, i) => byte === big[i]), "the bytes are the file's");

      const start = 1_000_000;
      const part = await rawGet(port, "/big.bin", { range: `bytes=${start}-${start + 199_999}` });
      assert.equal(part.status, 206);
      assert.equal(part.headers["content-range"], `bytes ${start}-${start + 199_999}/${BIG_SIZE}`);
      assert.deepEqual(part.body, big.subarray(start, start + 200_000));

      const fresh = await rawGet(port, "/hello.txt", { "if-none-match": "*" });
      assert.equal(fresh.status, 304);
      assert.equal(fresh.body.length, 0);

      // A raw target with dot segments: the URL is normalised before serveDir sees it.
      const traversal = await rawGet(port, "/../../../../etc/passwd");
      assert.equal(traversal.status, 404);
      const encoded = await rawGet(port, "/..%2f..%2f..%2fetc%2fpasswd");
      assert.equal(encoded.status, 400);

      // A client that leaves mid-file: the server's read of the file is cancelled.
      const controller = new AbortController();
      const response = await fetch(new URL("/big.bin", server.url), { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.cancel().catch(() => {});

      for (let i = 0; i < 200 && openDescriptors() > descriptorsBefore; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(openDescriptors() <= descriptorsBefore, true, "file descriptors leaked");
    } finally {
      await server.close();
    }
  });
});

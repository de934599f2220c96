/**
 * Static files over the Fetch API: {@linkcode serveFile} answers a request
 * with one file, {@linkcode serveDir} maps request paths into a folder.
 * Both stream the body from the file (never reading it whole), and handle
 * validators, conditional requests, ranges and precompressed variants.
 *
 * @module
 */
import { open, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join, resolve, sep } from "node:path";
import { httpDate } from "../httputil/date.ts";
import { acceptedEncodings, varyOnAcceptEncoding } from "./_accept_encoding.ts";
import { fileRangeStream } from "./_file_stream.ts";
import { contentTypeFor } from "./_media_types.ts";
import {
  ifRangeHolds,
  noneMatchHits,
  notModifiedSince,
  parseRange,
  weakEtag,
} from "./_conditional.ts";

/**
 * Options of {@linkcode serveFile}.
 *
 * @example
 * ```ts
 * import type { ServeFileOptions } from "@hussar/core/helpers";
 * const options: ServeFileOptions = { headers: { "cache-control": "max-age=60" } };
 * console.log(options.precompressed ?? true); // true
 * ```
 */
export interface ServeFileOptions {
  /** Headers added to every answer (`Cache-Control`, for instance). */
  // Spelled through Headers: `HeadersInit` is a DOM-library name that Node's types lack.
  headers?: ConstructorParameters<typeof Headers>[0];
  /**
   * Serve `<file>.br` or `<file>.gz`, when present beside the file, to a
   * client that accepts that coding (default true).
   */
  precompressed?: boolean;
}

/**
 * Options of {@linkcode serveDir}.
 *
 * @example
 * ```ts
 * import type { ServeDirOptions } from "@hussar/core/helpers";
 * const options: ServeDirOptions = { root: "./public", urlRoot: "/static" };
 * console.log(options.index ?? "index.html"); // index.html
 * ```
 */
export interface ServeDirOptions extends ServeFileOptions {
  /** The folder to serve. Nothing outside it is ever served, symbolic links included. */
  root: string;
  /** The URL path the folder is mounted at (default `/`); other paths get 404. */
  urlRoot?: string;
  /** The file served for a directory (default `index.html`); `false`: directories get 404. */
  index?: string | false;
  /** Serve names starting with a dot (default false: 404). */
  dotfiles?: boolean;
}

const ALLOW = "GET, HEAD";
const CODINGS: readonly { coding: string; suffix: string }[] = [
  { coding: "br", suffix: ".br" },
  { coding: "gzip", suffix: ".gz" },
];

/** Maps a path to the real path it may be served from, or null (missing, or outside the root). */
type Guard = (path: string) => Promise<string | null>;

function plain(status: number, text: string, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "text/plain; charset=utf-8");
  return new Response(`${text}\n`, { status, headers: h });
}

function methodNotAllowed(): Response {
  return plain(405, "Method Not Allowed", { allow: ALLOW });
}

/** The stats of a regular file, or null for anything else (missing, a directory, a FIFO). */
async function regularFile(path: string | null): Promise<Stats | null> {
  if (path === null) return null;
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats : null;
  } catch {
    return null;
  }
}

const trusted: Guard = (path) => Promise.resolve(path);

/** The file `path` (its type taken from this name) as an answer to `request`. */
async function answerWithFile(
  request: Request,
  path: string,
  options: ServeFileOptions,
  guard: Guard,
): Promise<Response> {
  const real = await guard(path);
  if ((await regularFile(real)) === null) return plain(404, "Not Found");
  let selected = { path: real!, coding: null as string | null };
  let hasVariants = false;
  if (options.precompressed !== false) {
    const variants: { path: string; coding: string }[] = [];
    for (const { coding, suffix } of CODINGS) {
      const variant = await guard(real! + suffix);
      if ((await regularFile(variant)) !== null) variants.push({ path: variant!, coding });
    }
    hasVariants = variants.length > 0;
    const [best] = acceptedEncodings(
      request.headers.get("accept-encoding"),
      variants.map((v) => v.coding),
    );
    selected = variants.find((v) => v.coding === best) ?? selected;
  }

  // Open first, then take the numbers from the open file, so they describe the bytes sent.
  const handle = await open(selected.path, "r");
  let keepOpen = false;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return plain(404, "Not Found");
    const size = stats.size;
    const headers = new Headers(options.headers);
    headers.set("etag", weakEtag(size, stats.mtimeMs, selected.coding));
    headers.set("last-modified", httpDate(stats.mtimeMs));
    headers.set("accept-ranges", "bytes");
    if (hasVariants) varyOnAcceptEncoding(headers);
    if (selected.coding !== null) headers.set("content-encoding", selected.coding);

    const noneMatch = request.headers.get("if-none-match");
    const modifiedSince = request.headers.get("if-modified-since");
    const fresh = noneMatch !== null
      ? noneMatchHits(noneMatch, headers.get("etag")!)
      : modifiedSince !== null && notModifiedSince(modifiedSince, stats.mtimeMs);
    if (fresh) return new Response(null, { status: 304, headers });

    headers.set("content-type", contentTypeFor(path));
    let range: { start: number; end: number } = { start: 0, end: size - 1 };
    let status = 200;
    const rangeHeader = request.headers.get("range");
    const ifRange = request.headers.get("if-range");
    if (
      rangeHeader !== null && request.method === "GET" &&
      (ifRange === null || ifRangeHolds(ifRange, stats.mtimeMs))
    ) {
      const parsed = parseRange(rangeHeader, size);
      if (parsed === "unsatisfiable") {
        headers.set("content-range", `bytes */${size}`);
        headers.delete("content-encoding");
        headers.set("content-type", "text/plain; charset=utf-8");
        return new Response("Range Not Satisfiable\n", { status: 416, headers });
      }
      if (parsed !== null) {
        range = parsed;
        status = 206;
        headers.set("content-range", `bytes ${range.start}-${range.end}/${size}`);
      }
    }
    const length = range.end - range.start + 1;
    headers.set("content-length", String(length));
    if (request.method === "HEAD" || length === 0) return new Response(null, { status, headers });
    keepOpen = true;
    return new Response(fileRangeStream(handle, range.start, range.end), { status, headers });
  } finally {
    if (!keepOpen) await handle.close();
  }
}

/**
 * Answers `request` with the file at `path` (a trusted path: no traversal
 * check is made here, see {@linkcode serveDir} for request-derived paths).
 * GET and HEAD only (else 405 with `Allow`); `Content-Type` from the
 * extension; a weak `ETag` (size and modification time) and
 * `Last-Modified`; 304 for a matching `If-None-Match` or a current
 * `If-Modified-Since`; a single `Range` gives 206 with `Content-Range` (416
 * if unsatisfiable; several ranges get the whole file with 200), guarded by
 * a date-form `If-Range` (an entity tag never matches, the tags being weak);
 * `<path>.br` or `<path>.gz` is sent instead when the client accepts it,
 * with `Content-Encoding` and `Vary: Accept-Encoding`. The body streams
 * from the file.
 *
 * @example
 * ```ts
 * import { serveFile } from "@hussar/core/helpers";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * const path = join(mkdtempSync(join(tmpdir(), "doc-")), "hello.txt");
 * writeFileSync(path, "hello, file");
 * const response = await serveFile(new Request("http://x/", { headers: { range: "bytes=7-" } }), path);
 * console.log(response.status, response.headers.get("content-range")); // 206 bytes 7-10/11
 * console.log(await response.text()); // file
 * ```
 */
export function serveFile(
  request: Request,
  path: string,
  options: ServeFileOptions = {},
): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return Promise.resolve(methodNotAllowed());
  }
  return answerWithFile(request, path, options, trusted);
}

/** The real path of `path` if it lies inside `root` (a real path), else null. */
function inside(root: string): Guard {
  return async (path) => {
    try {
      const real = await realpath(path);
      return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep) ? real : null;
    } catch {
      return null;
    }
  };
}

/** The decoded path segments of `pathname`, or a reason to refuse it. */
function segmentsOf(pathname: string, dotfiles: boolean): string[] | Response {
  const segments: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return plain(400, "Bad Request: malformed percent-encoding in the path");
    }
    if (/[/\\\0]/.test(segment)) {
      return plain(400, "Bad Request: encoded slash, backslash or NUL in the path");
    }
    if (segment === "." || segment === "..") {
      return plain(400, "Bad Request: dot segment in the path");
    }
    if (segment.startsWith(".") && !dotfiles) return plain(404, "Not Found");
    segments.push(segment);
  }
  return segments;
}

/**
 * Serves the folder `options.root` at `options.urlRoot`: the request path
 * is percent-decoded segment by segment (malformed encoding, encoded
 * slashes, backslashes, NUL and `.`/`..` segments get 400; dot-files 404
 * unless `dotfiles`), joined to the root, resolved through symbolic links,
 * and served only if the result is still inside the root (else 404). A
 * directory redirects to its `/`-terminated path (301), then serves its
 * `index.html`. Files are answered as by {@linkcode serveFile}.
 *
 * @example
 * ```ts
 * import { serveDir } from "@hussar/core/helpers";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * const root = mkdtempSync(join(tmpdir(), "doc-"));
 * writeFileSync(join(root, "index.html"), "<h1>home</h1>");
 * const home = await serveDir(new Request("http://x/static/"), { root, urlRoot: "/static" });
 * console.log(home.headers.get("content-type"), await home.text()); // text/html; charset=utf-8 <h1>home</h1>
 * const escape = await serveDir(new Request("http://x/static/%2e%2e%2fetc/passwd"), { root, urlRoot: "/static" });
 * console.log(escape.status); // 400
 * ```
 */
export async function serveDir(request: Request, options: ServeDirOptions): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed();
  const url = new URL(request.url);
  const mount = (options.urlRoot ?? "/").replace(/\/+$/, "");
  if (mount !== "" && url.pathname !== mount && !url.pathname.startsWith(mount + "/")) {
    return plain(404, "Not Found");
  }
  const relative = url.pathname.slice(mount.length);
  const segments = segmentsOf(relative, options.dotfiles ?? false);
  if (segments instanceof Response) return segments;
  let root: string;
  try {
    root = await realpath(resolve(options.root));
  } catch (cause) {
    throw new TypeError(`serveDir: the root ${options.root} cannot be resolved`, { cause });
  }
  const guard = inside(root);
  const target = join(root, ...segments);
  const real = await guard(target);
  if (real === null) return plain(404, "Not Found");
  const stats = await stat(real).catch(() => null);
  if (stats?.isDirectory()) {
    if (!url.pathname.endsWith("/")) {
      return new Response(null, {
        status: 301,
        headers: { location: `${url.pathname}/${url.search}` },
      });
    }
    if (options.index === false) return plain(404, "Not Found");
    return answerWithFile(request, join(target, options.index ?? "index.html"), options, guard);
  }
  // "/file.txt/" names a directory that is not there.
  if (url.pathname.endsWith("/")) return plain(404, "Not Found");
  return answerWithFile(request, target, options, guard);
}

/**
 * Opt-in response compression with the Web `CompressionStream`.
 *
 * @module
 */
import { acceptedEncodings, varyOnAcceptEncoding } from "./_accept_encoding.ts";

/**
 * Options of {@linkcode compressResponse} and {@linkcode compress}.
 *
 * @example
 * ```ts
 * import type { CompressOptions } from "@hussar/core/helpers";
 * const options: CompressOptions = { threshold: 256, encodings: ["gzip"] };
 * console.log(options.threshold); // 256
 * ```
 */
export interface CompressOptions {
  /**
   * Bodies with a `Content-Length` below this many bytes are sent as they
   * are (default 1024). A body of unknown length is always compressed.
   */
  threshold?: number;
  /**
   * Codings to offer, best first (default: `br` where the runtime's
   * `CompressionStream` has it, then `gzip`, `deflate`).
   */
  encodings?: readonly CompressionEncoding[];
  /** Whether a media type is worth compressing (default: text, JSON, JavaScript, XML, SVG, wasm). */
  compressible?: (contentType: string) => boolean;
}

/** A content coding that `CompressionStream` can produce. */
export type CompressionEncoding = "br" | "gzip" | "deflate";

/** The `CompressionStream` format behind each HTTP content coding. */
const FORMATS: Record<CompressionEncoding, string> = {
  br: "brotli",
  gzip: "gzip",
  deflate: "deflate", // HTTP's "deflate" is the zlib format, which this is
};

function supports(format: string): boolean {
  try {
    new CompressionStream(format as CompressionFormat);
    return true;
  } catch {
    return false;
  }
}

/**
 * The codings this runtime can produce, best first: Deno and Bun have
 * brotli in `CompressionStream`, Node 20 has not.
 *
 * @example
 * ```ts
 * import { availableEncodings } from "@hussar/core/helpers";
 * console.log(availableEncodings().includes("gzip")); // true
 * ```
 */
export function availableEncodings(): CompressionEncoding[] {
  available ??= (["br", "gzip", "deflate"] as const).filter((coding) => supports(FORMATS[coding]));
  return [...available];
}
let available: CompressionEncoding[] | undefined;

const COMPRESSIBLE =
  /^(text\/|application\/(json|javascript|ecmascript|xml|wasm|manifest\+json|x-ndjson)|image\/svg\+xml|[^;]*\+(json|xml)\s*(;|$))/i;

function defaultCompressible(contentType: string): boolean {
  return COMPRESSIBLE.test(contentType.trim()) && !/^text\/event-stream/i.test(contentType.trim());
}

/** Resolves on the next host macrotask: by then a body that is complete at once has said so. */
function nextMacrotask(): Promise<typeof PENDING> {
  return new Promise((resolve) => setTimeout(() => resolve(PENDING), 0));
}
const PENDING = Symbol("pending");

/**
 * Reads the start of a body: all of it if it is complete at once (a string
 * or bytes) and shorter than `limit`, else a stream that replays what was
 * read, then the rest. Never waits for a slow stream beyond its first chunk.
 */
async function peek(
  body: ReadableStream<Uint8Array>,
  limit: number,
): Promise<{ whole: Uint8Array<ArrayBuffer> | null; stream: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done) return { whole: new Uint8Array(0), stream: new Response(null).body! };
  const next = reader.read();
  const raced = await Promise.race([next, nextMacrotask()]);
  if (raced !== PENDING && raced.done && first.value.length < limit) {
    // Chunks from a Response body are plain ArrayBuffer views.
    const whole = first.value as Uint8Array<ArrayBuffer>;
    return { whole, stream: new Response(whole).body! };
  }
  const queued: Promise<ReadableStreamReadResult<Uint8Array>>[] = [
    Promise.resolve(first),
    next,
  ];
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const step = await (queued.shift() ?? reader.read());
      if (step.done) controller.close();
      else controller.enqueue(step.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { whole: null, stream };
}

/**
 * Compresses `response` for `request` if it is worth it and allowed: the
 * client's `Accept-Encoding` (q-values honoured, q=0 refuses) picks the
 * coding. Left as it is: HEAD, 1xx/204/206/304 and bodiless responses,
 * responses that already have a `Content-Encoding`, `Cache-Control:
 * no-transform`, types that do not compress (images, archives, event
 * streams), and small bodies: under `threshold` bytes by `Content-Length`,
 * or complete at once and that short. A compressed response loses its
 * `Content-Length`, gets `Content-Encoding`, and a strong `ETag` becomes
 * weak; every compressible response gets `Vary: Accept-Encoding`.
 *
 * @example
 * ```ts
 * import { compressResponse } from "@hussar/core/helpers";
 * const request = new Request("http://x/", { headers: { "accept-encoding": "gzip" } });
 * const response = await compressResponse(request, new Response("hello ".repeat(500), {
 *   headers: { "content-type": "text/plain" },
 * }));
 * console.log(response.headers.get("content-encoding")); // gzip
 * const text = await new Response(response.body!.pipeThrough(new DecompressionStream("gzip"))).text();
 * console.log(text.length); // 3000
 * ```
 */
export async function compressResponse(
  request: Request,
  response: Response,
  options: CompressOptions = {},
): Promise<Response> {
  const { status, headers } = response;
  if (
    request.method === "HEAD" || response.body === null || status < 200 || status === 204 ||
    status === 206 || status === 304 || headers.has("content-encoding") ||
    /(^|,)\s*no-transform\s*(,|$)/i.test(headers.get("cache-control") ?? "")
  ) {
    return response;
  }
  const type = headers.get("content-type");
  if (type === null || !(options.compressible ?? defaultCompressible)(type)) return response;
  const threshold = options.threshold ?? 1024;
  const length = headers.get("content-length");
  const offered = options.encodings?.filter((c) => availableEncodings().includes(c)) ??
    availableEncodings();
  const [coding] = acceptedEncodings(request.headers.get("accept-encoding"), offered);
  const out = new Headers(headers);
  varyOnAcceptEncoding(out);
  const init = { status, statusText: response.statusText, headers: out };
  if (coding === undefined || (length !== null && Number(length) < threshold)) {
    return new Response(response.body, init);
  }
  const { whole, stream } = await peek(response.body, threshold);
  if (whole !== null) return new Response(whole.length === 0 ? null : whole, init);
  out.delete("content-length");
  out.set("content-encoding", coding);
  const etag = out.get("etag");
  // The compressed bytes differ: a strong validator would now lie.
  if (etag !== null && !etag.startsWith("W/")) out.set("etag", `W/${etag}`);
  const compressor = new CompressionStream(FORMATS[coding] as CompressionFormat);
  return new Response(
    stream.pipeThrough(compressor as unknown as TransformStream<Uint8Array, Uint8Array>),
    init,
  );
}

/**
 * Wraps a fetch handler so its responses go through
 * {@linkcode compressResponse}.
 *
 * @example
 * ```ts
 * import { compress } from "@hussar/core/helpers";
 * const handler = compress(() => Response.json({ items: Array(200).fill("same") }));
 * const response = await handler(new Request("http://x/", { headers: { "accept-encoding": "deflate" } }), {});
 * console.log(response.headers.get("content-encoding"), response.headers.get("vary")); // deflate Accept-Encoding
 * ```
 */
export function compress<I>(
  handler: (request: Request, info: I) => Response | Promise<Response>,
  options: CompressOptions = {},
): (request: Request, info: I) => Promise<Response> {
  return async (request, info) => compressResponse(request, await handler(request, info), options);
}

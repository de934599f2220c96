/**
 * http2: the foundations of HTTP/2 for hussar (RFC 9113, RFC 7541): HPACK
 * with Huffman coding and bounded state, an incremental frame parser with
 * every frame-level rule checked as the bytes arrive, frame serialisers,
 * SETTINGS validation, request header validation giving the same request
 * shape as the HTTP/1.1 engine, the session that serves a connection
 * (`http2Handler`) and the choice between HTTP/2 and HTTP/1.1
 * (`negotiateHandler`), which `serve()` uses. See docs/http2.md.
 *
 * @example
 * ```ts
 * import {
 *   CONNECTION_PREFACE,
 *   FrameParser,
 *   FrameType,
 *   HpackDecoder,
 *   HpackEncoder,
 *   serializeHeaders,
 *   serializeSettings,
 *   validateRequestHeaders,
 * } from "@hussar/core/http2";
 * // What a client sends: the preface, its SETTINGS, and a request on stream 1.
 * const block = new HpackEncoder().encode([
 *   [":method", "GET"], [":scheme", "http"], [":authority", "localhost"], [":path", "/"],
 * ]);
 * const bytes = new Uint8Array([
 *   ...CONNECTION_PREFACE, ...serializeSettings({}), ...serializeHeaders(1, block, true),
 * ]);
 * const parser = new FrameParser();
 * const decoder = new HpackDecoder();
 * parser.push(bytes);
 * for (let frame = parser.next(); frame !== null; frame = parser.next()) {
 *   if (frame.type !== FrameType.HEADERS) continue;
 *   const head = validateRequestHeaders(decoder.decode(frame.headerBlock));
 *   console.log(frame.streamId, head.method, head.target); // 1 GET /
 * }
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./hpack.ts";
export * from "./settings.ts";
export * from "./frame.ts";
export * from "./serialize.ts";
export * from "./request.ts";
export * from "./session.ts";
export * from "./negotiate.ts";

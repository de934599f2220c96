/**
 * A small extension → media type table for the file server. Types not in it
 * are served as `application/octet-stream`, which browsers download rather
 * than render: the safe default.
 *
 * @module
 */

const UTF8 = "; charset=utf-8";

const TYPES: Record<string, string> = {
  html: "text/html" + UTF8,
  htm: "text/html" + UTF8,
  css: "text/css" + UTF8,
  js: "text/javascript" + UTF8,
  mjs: "text/javascript" + UTF8,
  json: "application/json" + UTF8,
  map: "application/json" + UTF8,
  webmanifest: "application/manifest+json" + UTF8,
  txt: "text/plain" + UTF8,
  md: "text/markdown" + UTF8,
  csv: "text/csv" + UTF8,
  xml: "application/xml" + UTF8,
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  wasm: "application/wasm",
  pdf: "application/pdf",
  zip: "application/zip",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
};

/** The media type for a file name, from its extension (case-insensitive). */
export function contentTypeFor(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  const type = dot > 0 ? TYPES[name.slice(dot + 1).toLowerCase()] : undefined;
  return type ?? "application/octet-stream";
}

/**
 * The HPACK static table (RFC 7541 Appendix A) and the lookups the encoder
 * makes in it.
 *
 * @module
 */

/** Names of entries 1..61 (index 0 unused). */
export const STATIC_NAMES: readonly string[] = [
  "",
  ":authority",
  ":method",
  ":method",
  ":path",
  ":path",
  ":scheme",
  ":scheme",
  ":status",
  ":status",
  ":status",
  ":status",
  ":status",
  ":status",
  ":status",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "accept-ranges",
  "accept",
  "access-control-allow-origin",
  "age",
  "allow",
  "authorization",
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "content-length",
  "content-location",
  "content-range",
  "content-type",
  "cookie",
  "date",
  "etag",
  "expect",
  "expires",
  "from",
  "host",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "last-modified",
  "link",
  "location",
  "max-forwards",
  "proxy-authenticate",
  "proxy-authorization",
  "range",
  "referer",
  "refresh",
  "retry-after",
  "server",
  "set-cookie",
  "strict-transport-security",
  "transfer-encoding",
  "user-agent",
  "vary",
  "via",
  "www-authenticate",
];

/** Values of entries 1..61 (empty where the RFC lists none). */
export const STATIC_VALUES: readonly string[] = (() => {
  const values = new Array<string>(STATIC_NAMES.length).fill("");
  const given: [number, string][] = [
    [2, "GET"],
    [3, "POST"],
    [4, "/"],
    [5, "/index.html"],
    [6, "http"],
    [7, "https"],
    [8, "200"],
    [9, "204"],
    [10, "206"],
    [11, "304"],
    [12, "400"],
    [13, "404"],
    [14, "500"],
    [16, "gzip, deflate"],
  ];
  for (const [index, value] of given) values[index] = value;
  return values;
})();

/** Number of static entries; dynamic indices start after it (§2.3.3). */
export const STATIC_LENGTH = 61;

/** For each name, its first static index and the indices of its name+value pairs. */
interface StaticName {
  readonly index: number;
  readonly values: ReadonlyMap<string, number>;
}

const BY_NAME: ReadonlyMap<string, StaticName> = (() => {
  const map = new Map<string, { index: number; values: Map<string, number> }>();
  for (let i = 1; i <= STATIC_LENGTH; i++) {
    let entry = map.get(STATIC_NAMES[i]);
    if (entry === undefined) map.set(STATIC_NAMES[i], entry = { index: i, values: new Map() });
    if (!entry.values.has(STATIC_VALUES[i])) entry.values.set(STATIC_VALUES[i], i);
  }
  return map;
})();

/**
 * The static index matching `name` and `value` (positive), or matching
 * `name` only (negative), or 0: the lookup allocates nothing.
 */
export function staticIndex(name: string, value: string): number {
  const entry = BY_NAME.get(name);
  if (entry === undefined) return 0;
  const exact = entry.values.get(value);
  return exact !== undefined ? exact : -entry.index;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let cachedSecond = -1;
let cachedValue = "";

function pad(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * An IMF-fixdate (RFC 9110 §5.6.7) for `now` (ms since the epoch, default
 * `Date.now()`), as the `Date` header needs. Cached per second, since every
 * response asks for it.
 *
 * @example
 * ```ts
 * import { httpDate } from "@hussar/core/httputil";
 * console.log(httpDate(0)); // Thu, 01 Jan 1970 00:00:00 GMT
 * ```
 */
export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedValue = `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${
      MONTHS[d.getUTCMonth()]
    } ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${
      pad(d.getUTCSeconds())
    } GMT`;
    cachedSecond = second;
  }
  return cachedValue;
}

/** A core-API app that reads each request body to its end, as an upload, and counts its bytes. */

import { Hussar } from "../../core/mod.ts";
import { httpHandler, type IncomingRequest } from "../../httputil/mod.ts";

/** A `Hussar` whose app reads bodies with `BodyReader.read()` and answers with their length. */
export class BodyCounter {
  readonly hussar: Hussar;
  /** The app began reading a body (it parks in its first read, in that turn). */
  reading = false;
  /** Body bytes read so far; the answer's body is the total once read. */
  total = 0;

  constructor() {
    this.hussar = new Hussar({ handler: httpHandler((request) => this.#read(request)) });
  }

  *#read(request: IncomingRequest) {
    this.reading = true;
    for (let part = yield* request.body.read(); part !== null; part = yield* request.body.read()) {
      this.total += part.length;
    }
    return { status: 200, body: String(this.total) };
  }
}

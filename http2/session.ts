/**
 * The HTTP/2 session (RFC 9113): one connection's thread reads the frames,
 * keeps the stream table, the HPACK decoder and the flow-control windows,
 * and calls the app for each request; a stream gets a thread of its own
 * when it must wait.
 *
 * @module
 */

import type { Connection } from "../core/connection.ts";
import { ConnectionClosedError, DeadlineError } from "../core/errors.ts";
import type { HussarHandler } from "../core/hussar.ts";
import type { ConnectionInfo } from "../core/transport.ts";
import {
  type HeaderList,
  HttpError,
  type HttpResponse,
  type HttpServerOptions,
  isNullBodyStatus,
  isStandardMethod,
} from "../httputil/mod.ts";
import { type HttpLimits, logTo, resolveHttpLimits } from "../httputil/server.ts";
import { isShortAscii } from "../internal/bytes.ts";
import { resolveLogger } from "../internal/logger.ts";
import {
  type AwayCall,
  getCurrentScheduler,
  type Scheduler,
  type Signal,
  type Thread,
  type ThreadYield,
  type TimerHandle,
  wait,
  waitSignalFor,
} from "../scheduler/mod.ts";
import { ErrorCode, errorCodeName, Http2Error } from "./errors.ts";
import { type Frame, FrameParser, FrameType, type HeadersFrame } from "./frame.ts";
import { HpackDecoder, HpackEncoder } from "./hpack.ts";
import { type Http2RequestHead, validateRequestHeaders, validateTrailers } from "./request.ts";
import {
  serializeGoaway,
  serializePing,
  serializeRstStream,
  serializeSettings,
  serializeWindowUpdate,
  SETTINGS_ACK,
} from "./serialize.ts";
import { applySettings, type Http2Settings, INITIAL_SETTINGS } from "./settings.ts";
import { RequestBody } from "./_request_body.ts";
import { HeadCache } from "./_head_cache.ts";
import { cancelBody, errorResponse, responseFields, type StreamedBody } from "./_response.ts";
import { COPIED_DATA, dataFrame, dataHeader, responseFrames } from "./_output.ts";

/**
 * One request as an {@linkcode Http2App} sees it: the validated head, the
 * body (null when the HEADERS frame ended the stream), the connection's
 * facts, and a way to learn that the stream ended before its response did.
 */
export interface Http2Exchange {
  /** The stream's identifier. */
  readonly streamId: number;
  /** The request head, validated (RFC 9113 §8.2, §8.3). */
  readonly head: Http2RequestHead;
  /** The connection's facts (addresses, TLS, ALPN). */
  readonly info: ConnectionInfo;
  /**
   * The request body, or null when there is none. `stream()` gives it once;
   * `failure` is set when it could not be completed (a limit, a deadline, a
   * reset): the client's fault, which the session answers. `trailers` are
   * the fields of a HEADERS block that ended the body (§8.1), validated as
   * {@linkcode validateTrailers} does; empty until the body has ended, and
   * when it ended without them (as HTTP/1.1's `BodyReader.trailers`).
   */
  readonly body: {
    stream(): ReadableStream<Uint8Array>;
    readonly failure: unknown;
    readonly trailers: HeaderList;
  } | null;
  /**
   * Calls `listener` once if the stream ends before its response is
   * complete: the client reset it (RST_STREAM), the connection was lost, or
   * the request timed out. At once if that already happened.
   */
  onAbort(listener: (reason: string) => void): void;
}

/**
 * An application served over HTTP/2: called once per stream, on the
 * session's thread as the stream's HEADERS arrive, it returns the response
 * (directly, by Promise, or as the result of a generator, which runs as
 * the stream's own thread).
 */
export type Http2App = (
  exchange: Http2Exchange,
) =>
  | HttpResponse
  | PromiseLike<HttpResponse>
  | Generator<ThreadYield, HttpResponse, Signal>;

/**
 * Limits and timeouts of the HTTP/2 session: those of the HTTP/1.1 engine
 * where they mean the same (docs/http2.md maps them), and the stream limit.
 */
export interface Http2ServerOptions extends Omit<HttpServerOptions, "onError" | "maxDrainBytes"> {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams whose thread runs at once (default 100); more get REFUSED_STREAM. */
  maxConcurrentStreams?: number;
  /** Receives errors thrown by the app (default: the logger's `error`); the stream gets a 500. */
  onError?: (error: unknown) => void;
}

/** The connection receive window advertised: a few streams' worth. */
const CONNECTION_WINDOW = 1 << 20;
/** The stream receive window (SETTINGS_INITIAL_WINDOW_SIZE, the protocol's default). */
const STREAM_WINDOW = 65535;
const MAX_WINDOW = 0x7fffffff;
const MAX_STREAM_ID = 0x7fffffff;
/** Frames of a kind a client may send per second before it is told to calm down (§10.5). */
const FLOOD_WINDOW_MS = 1000;
const MAX_CONTROL_FRAMES = 1000;
const MAX_EARLY_RESETS = 200;

type Resolved = HttpLimits & {
  maxConcurrentStreams: number;
  onError: (error: unknown) => void;
};

/**
 * Turns an {@linkcode Http2App} into a hussar connection handler speaking
 * HTTP/2 (RFC 9113) from the client's preface on: SETTINGS exchanged,
 * PING answered, streams in the §5.1 states with odd increasing ids, at
 * most `maxConcurrentStreams` at once (REFUSED_STREAM beyond), request
 * bodies flow-controlled by what the app reads, responses sent within the
 * peer's windows and frame size, RST_STREAM both ways, stream errors
 * answered with RST_STREAM and connection errors with GOAWAY, and a
 * graceful GOAWAY when `shutdown` aborts (open streams finish). The app
 * is called as each stream's HEADERS arrive; an answer given at once or by
 * a Promise is written when it is there, and a stream runs on a thread of
 * its own only when it must wait (a thread body, a body past the windows).
 * See docs/http2.md.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import {
 *   CONNECTION_PREFACE, FrameParser, HpackEncoder, http2Handler, serializeHeaders, serializeSettings,
 * } from "@hussar/core/http2";
 * import { FakeSource } from "@hussar/core/sources";
 * const hussar = new Hussar({
 *   handler: http2Handler((exchange) => ({ status: 200, body: `hi ${exchange.head.target}` })),
 * });
 * const source = new FakeSource();
 * hussar.attachSource(source);
 * const client = source.connect();
 * const request = new HpackEncoder().encode([
 *   [":method", "GET"], [":scheme", "http"], [":authority", "a.test"], [":path", "/x"],
 * ]);
 * client.write(new Uint8Array([...CONNECTION_PREFACE, ...serializeSettings({}), ...serializeHeaders(1, request, true)]));
 * const parser = new FrameParser({ preface: false });
 * for (let data = ""; !data.endsWith("/x");) {
 *   parser.push((await client.read())!);
 *   for (let frame = parser.next(); frame !== null; frame = parser.next()) {
 *     if (frame.type === 0) data += new TextDecoder().decode(frame.data);
 *   }
 *   if (data !== "") console.log(data); // hi /x
 * }
 * await hussar.close();
 * ```
 */
export function http2Handler(app: Http2App, options: Http2ServerOptions = {}): HussarHandler {
  const settings: Resolved = {
    ...resolveHttpLimits(options),
    maxConcurrentStreams: options.maxConcurrentStreams ?? 100,
    onError: options.onError ?? logTo(resolveLogger(options.logger)),
  };
  return function* (conn): AwayCall<void> {
    yield* new Session(conn, app, settings, getCurrentScheduler()).run();
  };
}

/** A stream's end before its response was complete. */
class StreamAbortedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "StreamAbortedError";
  }
}

/** One stream: the exchange the app sees, and the session's bookkeeping. */
class Stream implements Http2Exchange {
  readonly streamId: number;
  readonly head: Http2RequestHead;
  readonly info: ConnectionInfo;
  readonly body: RequestBody | null;
  /** The client sent END_STREAM. */
  remoteEnded: boolean;
  headersSent = false;
  /** Why the stream ended early, or null. */
  aborted: StreamAbortedError | null = null;
  /** What the peer lets us send on this stream (§6.9). */
  sendWindow: number;
  /** What the peer may still send before a WINDOW_UPDATE (§6.9). */
  recvWindow = STREAM_WINDOW;
  /** Bytes the app consumed not yet returned by a WINDOW_UPDATE. */
  unacked = 0;
  received = 0;
  thread: Thread | null = null;
  /** The thread waits for a window or for the output to drain. */
  parked = false;
  /** The app's Promise has not settled (the stream has no thread meanwhile). */
  pending = false;
  /** The grace before the thread of an aborted stream is ended (or, pending, the stream). */
  grace: TimerHandle | null = null;
  /** The app has not answered yet, and must by `due` (`requestTimeoutMs`). */
  answering = false;
  due = 0;
  /** Runs while the app waits for body bytes. */
  bodyTimer: TimerHandle | null = null;
  #listeners: ((reason: string) => void)[] | null = null;

  constructor(
    id: number,
    head: Http2RequestHead,
    info: ConnectionInfo,
    body: RequestBody | null,
    sendWindow: number,
  ) {
    this.streamId = id;
    this.head = head;
    this.info = info;
    this.body = body;
    this.remoteEnded = body === null;
    this.sendWindow = sendWindow;
  }

  onAbort(listener: (reason: string) => void): void {
    if (this.aborted !== null) return listener(this.aborted.message);
    (this.#listeners ??= []).push(listener);
  }

  /** Ends the stream early: the app is told, once. */
  abort(reason: string): void {
    if (this.aborted !== null) return;
    this.aborted = new StreamAbortedError(reason);
    const listeners = this.#listeners;
    this.#listeners = null;
    for (const listener of listeners ?? []) listener(reason);
  }
}

const NO_STREAMS = 0;

class Session {
  readonly #conn: Connection;
  readonly #app: Http2App;
  readonly #settings: Resolved;
  readonly #scheduler: Scheduler;
  readonly #parser: FrameParser;
  readonly #decoder: HpackDecoder;
  readonly #encoder = new HpackEncoder();
  readonly #peer: Http2Settings = { ...INITIAL_SETTINGS };
  readonly #streams = new Map<number, Stream>();
  readonly #fields: string[] = [];
  readonly #heads = new HeadCache();
  /** Streams whose app has not answered, oldest first (and some that have, dropped lazily). */
  #waiting: Stream[] = [];
  /** Of those, how many still wait. */
  #answering = 0;
  #requestTimer: TimerHandle | null = null;
  readonly #responseFields: string[] = [];
  /** The highest stream id the client used (§5.1.1). */
  #lastStreamId = NO_STREAMS;
  /** The highest stream the app was given (or answered for it): our GOAWAY's last id (§6.8). */
  #lastProcessed = NO_STREAMS;
  #sendWindow = 65535;
  /** DATA octets received and not yet returned by a WINDOW_UPDATE on stream 0. */
  #recvTaken = 0;
  /** Of those, the octets consumed or dropped, to return at the next WINDOW_UPDATE. */
  #recvUnacked = 0;
  /** The client's first SETTINGS came (§3.4): the preface deadline is over. */
  #started = false;
  #goaway = false;
  #peerGoaway = false;
  /** What the connection's deadline is for now: "" for none. */
  #deadline = "";
  #floodStart = 0;
  #controlFrames = 0;
  #earlyResets = 0;
  readonly #onShutdown = (): void => this.#shutdown();

  constructor(conn: Connection, app: Http2App, settings: Resolved, scheduler: Scheduler) {
    this.#conn = conn;
    this.#app = app;
    this.#settings = settings;
    this.#scheduler = scheduler;
    const maxHeaderListSize = settings.limits.maxHeadBytes;
    this.#parser = new FrameParser({ maxHeaderBlockSize: maxHeaderListSize });
    this.#decoder = new HpackDecoder({ maxHeaderListSize });
  }

  *run(): AwayCall<void> {
    const conn = this.#conn;
    const settings = this.#settings;
    conn.phase = "waiting";
    this.#setDeadline("preface", settings.headersTimeoutMs);
    // §3.4: our preface is a SETTINGS frame; then the connection window opened past its default.
    this.#send(serializeSettings({
      enablePush: 0,
      maxConcurrentStreams: settings.maxConcurrentStreams,
      initialWindowSize: STREAM_WINDOW,
      maxHeaderListSize: settings.limits.maxHeadBytes,
    }));
    this.#send(serializeWindowUpdate(0, CONNECTION_WINDOW - 65535));
    settings.shutdown?.addEventListener("abort", this.#onShutdown);
    if (settings.shutdown?.aborted) this.#shutdown();
    try {
      for (;;) {
        let chunk: Uint8Array | null | undefined;
        try {
          chunk = conn.readNow() ?? (yield* conn.read());
        } catch (error) {
          if (error instanceof DeadlineError) return this.#expired();
          if (error instanceof ConnectionClosedError) return;
          throw error;
        }
        if (chunk === null) return;
        this.#parser.push(chunk);
        for (;;) {
          // §10.5: a peer that does not read gets nothing more read, so that what we owe it
          // (PING and SETTINGS ACKs, answers) stops at the output's high-water mark.
          if (conn.bufferedAmount > conn.highWaterMark && !(yield* this.#drainOutput())) return;
          try {
            const frame = this.#parser.next();
            if (frame === null) break;
            this.#frame(frame);
          } catch (error) {
            if (!(error instanceof Http2Error)) throw error;
            if (error.scope === "connection" || error.streamId === 0) return this.#fail(error);
            // A stream error (its frame was consumed): reset that stream, read on (§5.4.2).
            this.#resetStream(error.streamId, error.code, error.message);
          }
        }
        this.#updateDeadline();
        if (!conn.isAlive()) return;
      }
    } finally {
      settings.shutdown?.removeEventListener("abort", this.#onShutdown);
      this.#end();
    }
  }

  // ---- frames in ----

  #frame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.DATA:
        return this.#data(frame.streamId, frame.data, frame.flowLength, frame.endStream);
      case FrameType.HEADERS:
        return this.#headers(frame);
      case FrameType.PRIORITY:
        return this.#control();
      case FrameType.RST_STREAM:
        return this.#rstStream(frame.streamId, frame.errorCode);
      case FrameType.SETTINGS:
        this.#control();
        this.#started = true;
        if (!frame.ack) this.#applySettings(frame.parameters);
        return;
      case FrameType.PING:
        this.#control();
        if (!frame.ack) this.#send(serializePing(frame.data, true));
        return;
      case FrameType.GOAWAY:
        // §6.8: the client opens no more streams; those open finish.
        this.#peerGoaway = true;
        if (this.#streams.size === 0) this.#conn.close("client sent GOAWAY");
        return;
      case FrameType.WINDOW_UPDATE:
        return this.#windowUpdate(frame.streamId, frame.increment);
    }
  }

  #headers(frame: HeadersFrame): void {
    const id = frame.streamId;
    // The block is decoded whatever becomes of the stream: the HPACK state must stay in step
    // (§4.3). A list past the limits is decoded whole, then fails its stream only (431).
    // One array for every block: what is kept of it is copied out (validate*).
    const fields = this.#fields;
    fields.length = 0;
    const decoder = this.#decoder;
    const block = frame.headerBlock;
    const changes = decoder.changes;
    const open = this.#streams.get(id);
    // A new stream's block as the last one, with the decoder as it was then: the same head.
    const cached = open === undefined ? this.#heads.get(block, changes) : null;
    let invalid: Http2Error | null = null;
    if (cached === null) {
      try {
        decoder.decode(block, fields);
      } catch (error) {
        if (!(error instanceof Http2Error) || error.scope === "connection") throw error;
        invalid = error;
      }
    }
    if (open !== undefined) {
      if (invalid !== null) throw withStream(invalid, id);
      return this.#trailers(open, fields, frame.endStream);
    }
    // §5.1.1: ids increase; a lower one (used or skipped, so closed) is unexpected.
    if (id <= this.#lastStreamId) {
      throw new Http2Error(ErrorCode.PROTOCOL_ERROR, "connection", `stream id ${id} went back`);
    }
    if ((id & 1) === 0) {
      throw new Http2Error(ErrorCode.PROTOCOL_ERROR, "connection", `even stream id ${id}`);
    }
    this.#lastStreamId = id;
    if (this.#goaway) return this.#refuse(id, "the server is shutting down");
    if (frame.streamError !== null) throw withStream(frame.streamError, id);
    if (this.#streams.size >= this.#settings.maxConcurrentStreams) {
      this.#flood("early");
      return this.#refuse(id, "too many concurrent streams");
    }
    const settings = this.#settings;
    let head = cached ?? BAD_HEAD;
    if (invalid === null && cached === null) {
      try {
        head = validateRequestHeaders(fields, {
          requireHost: settings.requireHost,
          maxHeaderCount: settings.limits.maxHeaderCount,
          maxUriLength: settings.limits.maxUriLength,
        });
        if (decoder.changes === changes) this.#heads.set(block, changes, head);
      } catch (error) {
        if (!(error instanceof Http2Error)) throw error;
        invalid = error;
      }
    }
    let early: HttpResponse | null;
    if (invalid !== null) {
      if (invalid.status === 0) throw withStream(invalid, id);
      // §8.1.1: a malformed request may be answered before the stream is reset.
      early = errorResponse(invalid.status, invalid.message.replace(/^[A-Z_]+: /, ""));
    } else {
      early = this.#refused(head);
    }
    const body = frame.endStream ? null : new RequestBody(
      (bytes) => this.#consumed(stream, bytes),
      (waiting) => this.#bodyWait(stream, waiting),
    );
    const stream = new Stream(id, head, this.#conn.info, body, this.#peer.initialWindowSize);
    this.#streams.set(id, stream);
    this.#lastProcessed = id;
    this.#conn.phase = "handling";
    if (early !== null) this.#settle(stream, early, NONE);
    else this.#start(stream);
    // The last id a client can use (§5.1.1): no stream can follow, so the connection is drained.
    if (id === MAX_STREAM_ID) this.#shutdown();
  }

  /** The answer to a request refused before the app sees it (limits, methods), or null. */
  #refused(head: Http2RequestHead): HttpResponse | null {
    const { methods, maxBodyBytes } = this.#settings;
    if (!methods.has(head.method)) {
      return isStandardMethod(head.method)
        ? errorResponse(405, `method ${head.method} not allowed`, [[
          "allow",
          [...methods].join(", "),
        ]])
        : errorResponse(501, `method ${head.method} not implemented`);
    }
    if (head.contentLength !== null && head.contentLength > maxBodyBytes) {
      return errorResponse(413, `request body larger than ${maxBodyBytes} bytes`);
    }
    return null;
  }

  #trailers(stream: Stream, fields: string[], endStream: boolean): void {
    if (stream.aborted !== null) return; // §5.4.2: sent before our RST_STREAM arrived
    if (stream.remoteEnded) {
      throw new Http2Error(
        ErrorCode.STREAM_CLOSED,
        "stream",
        "HEADERS after END_STREAM",
        stream.streamId,
      );
    }
    // §8.1: trailers end the stream; they are checked, then kept for the app (a Request has none).
    if (!endStream) {
      throw new Http2Error(
        ErrorCode.PROTOCOL_ERROR,
        "stream",
        "trailers without END_STREAM",
        stream.streamId,
      );
    }
    let trailers: HeaderList;
    try {
      trailers = validateTrailers(fields, { maxHeaderCount: this.#settings.limits.maxHeaderCount });
    } catch (error) {
      throw error instanceof Http2Error ? withStream(error, stream.streamId) : error;
    }
    stream.remoteEnded = true;
    stream.body?.end(trailers);
  }

  #data(id: number, data: Uint8Array, flowLength: number, endStream: boolean): void {
    // §6.9.1: the connection window counts every DATA frame, whatever its stream; the bytes
    // are credited back once consumed or dropped.
    const stream = this.#streams.get(id);
    if (flowLength > CONNECTION_WINDOW - this.#recvTaken) {
      throw new Http2Error(
        ErrorCode.FLOW_CONTROL_ERROR,
        "connection",
        "DATA beyond the connection window",
      );
    }
    this.#recvTaken += flowLength;
    if (flowLength === 0 && !endStream) this.#control();
    if (stream === undefined) {
      if (id > this.#lastStreamId) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, "connection", `DATA on idle stream ${id}`);
      }
      // A stream closed (or reset by us) meanwhile: its DATA is dropped, and credited (§6.9).
      return this.#credit(null, flowLength);
    }
    // §5.4.2: what the client sent before it learnt of our RST_STREAM is ignored.
    if (stream.aborted !== null) return this.#credit(null, flowLength);
    if (stream.remoteEnded) {
      this.#credit(null, flowLength);
      throw new Http2Error(ErrorCode.STREAM_CLOSED, "stream", "DATA after END_STREAM", id);
    }
    if (flowLength > stream.recvWindow) {
      this.#credit(null, flowLength);
      throw new Http2Error(
        ErrorCode.FLOW_CONTROL_ERROR,
        "stream",
        "DATA beyond the stream window",
        id,
      );
    }
    stream.recvWindow -= flowLength;
    stream.received += data.length;
    // Padding is consumed at once.
    const padding = flowLength - data.length;
    const body = stream.body!;
    const limit = this.#settings.maxBodyBytes;
    const declared = stream.head.contentLength;
    if (
      declared !== null &&
      (stream.received > declared || (endStream && stream.received !== declared))
    ) {
      this.#credit(null, flowLength);
      this.#failBody(stream, new HttpError(400, "request body length differs from content-length"));
      throw new Http2Error(
        ErrorCode.PROTOCOL_ERROR,
        "stream",
        "DATA length differs from content-length",
        id,
      );
    }
    if (stream.received > limit) {
      this.#credit(null, flowLength);
      this.#failBody(stream, new HttpError(413, `request body larger than ${limit} bytes`));
      if (endStream) this.#remoteEnd(stream);
      return;
    }
    if (body.push(data)) {
      if (padding > 0) this.#credit(stream, padding);
    } else {
      this.#credit(null, flowLength);
    }
    if (endStream) this.#remoteEnd(stream);
  }

  /** The stream `frame` is for, or undefined if closed; on an idle stream a connection error (§5.1). */
  #openStream(id: number, frame: string): Stream | undefined {
    const stream = this.#streams.get(id);
    if (stream === undefined && id > this.#lastStreamId) {
      throw new Http2Error(ErrorCode.PROTOCOL_ERROR, "connection", `${frame} on idle stream ${id}`);
    }
    return stream;
  }

  #rstStream(id: number, code: number): void {
    const stream = this.#openStream(id, "RST_STREAM");
    if (stream === undefined) return; // closed already: nothing to do (§5.1)
    stream.remoteEnded = true;
    // A reset before the response was out is what a rapid-reset attack does (CVE-2023-44487).
    this.#flood("early");
    this.#abortStream(stream, `client reset the stream (${errorCodeName(code)})`);
  }

  #windowUpdate(id: number, increment: number): void {
    if (id === 0) {
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW) {
        throw new Http2Error(
          ErrorCode.FLOW_CONTROL_ERROR,
          "connection",
          "connection window above 2^31-1",
        );
      }
      for (const stream of this.#streams.values()) this.#wake(stream);
      return;
    }
    const stream = this.#openStream(id, "WINDOW_UPDATE");
    if (stream === undefined) return;
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      throw new Http2Error(
        ErrorCode.FLOW_CONTROL_ERROR,
        "stream",
        "stream window above 2^31-1",
        id,
      );
    }
    this.#wake(stream);
  }

  #applySettings(parameters: number[]): void {
    const before = this.#peer.initialWindowSize;
    applySettings(this.#peer, parameters);
    this.#encoder.setPeerMaxTableSize(this.#peer.headerTableSize);
    // §6.9.2: a new initial window changes every open stream's window by the difference.
    const delta = this.#peer.initialWindowSize - before;
    if (delta !== 0) {
      for (const stream of this.#streams.values()) {
        stream.sendWindow += delta;
        if (stream.sendWindow > MAX_WINDOW) {
          throw new Http2Error(
            ErrorCode.FLOW_CONTROL_ERROR,
            "connection",
            "stream window above 2^31-1",
          );
        }
        if (delta > 0) this.#wake(stream);
      }
    }
    this.#send(SETTINGS_ACK);
  }

  /** Counts a frame of a kind a flood is made of; too many per second is ENHANCE_YOUR_CALM (§10.5). */
  #flood(kind: "control" | "early"): void {
    const now = this.#scheduler.now();
    if (now - this.#floodStart >= FLOOD_WINDOW_MS) {
      this.#floodStart = now;
      this.#controlFrames = 0;
      this.#earlyResets = 0;
    }
    if (
      kind === "control"
        ? ++this.#controlFrames > MAX_CONTROL_FRAMES
        : ++this.#earlyResets > MAX_EARLY_RESETS
    ) {
      throw new Http2Error(
        ErrorCode.ENHANCE_YOUR_CALM,
        "connection",
        `${kind === "control" ? "control frame" : "stream reset"} flood`,
      );
    }
  }

  #control(): void {
    this.#flood("control");
  }

  // ---- flow control in ----

  /** The app consumed `bytes` of a stream's body: return them to the client's windows (§6.9). */
  #consumed(stream: Stream, bytes: number): void {
    this.#credit(stream, bytes);
  }

  /**
   * Gives `bytes` back to the connection window and, for a stream still
   * sending, to its own, once half a window has been consumed.
   */
  #credit(stream: Stream | null, bytes: number): void {
    if (bytes === 0 || !this.#conn.isAlive()) return;
    this.#recvUnacked += bytes;
    if (this.#recvUnacked >= CONNECTION_WINDOW / 2) {
      this.#send(serializeWindowUpdate(0, this.#recvUnacked));
      this.#recvTaken -= this.#recvUnacked;
      this.#recvUnacked = 0;
    }
    if (stream === null || stream.remoteEnded || stream.aborted !== null) return;
    stream.unacked += bytes;
    if (stream.unacked >= STREAM_WINDOW / 2) {
      this.#send(serializeWindowUpdate(stream.streamId, stream.unacked));
      stream.recvWindow += stream.unacked;
      stream.unacked = 0;
    }
  }

  /** Times the client's silence while the app waits for body bytes (`bodyTimeoutMs`). */
  #bodyWait(stream: Stream, waiting: boolean): void {
    stream.bodyTimer?.cancel();
    stream.bodyTimer = waiting
      ? this.#scheduler.setTimeout(this.#settings.bodyTimeoutMs, () => {
        this.#failBody(stream, new HttpError(408, "request body not received in time"));
      })
      : null;
  }

  #failBody(stream: Stream, error: HttpError): void {
    const dropped = stream.body?.fail(error) ?? 0;
    this.#credit(null, dropped);
  }

  #remoteEnd(stream: Stream): void {
    stream.remoteEnded = true;
    stream.body?.end();
  }

  // ---- streams ----

  /**
   * Calls the app for a new stream. An answer given at once, or by a
   * Promise, is written as soon as it is there ({@linkcode #settle}); a
   * thread's body runs as the stream's thread. No thread is made for a
   * stream unless something must wait.
   */
  #start(stream: Stream): void {
    let result: HttpResponse | PromiseLike<HttpResponse> | AppThread;
    try {
      result = this.#app(stream);
    } catch (error) {
      return this.#settle(stream, undefined, error);
    }
    if (typeof (result as AppThread)?.next === "function") {
      return this.#spawn(stream, result as AppThread, undefined, null, NONE);
    }
    if (typeof (result as PromiseLike<HttpResponse>)?.then !== "function") {
      return this.#settle(stream, result as HttpResponse, NONE);
    }
    // Timed until it settles; a stream ended meanwhile is done after the grace period.
    this.#awaitAnswer(stream);
    stream.pending = true;
    (result as PromiseLike<HttpResponse>).then(
      (response) => this.#landed(stream, response, NONE),
      (error) => this.#landed(stream, undefined, error),
    );
  }

  /** The app's Promise settled (in a microtask: what is written is flushed at its end). */
  #landed(stream: Stream, response: HttpResponse | undefined, error: unknown): void {
    try {
      this.#land(stream, response, error);
    } catch (failure) {
      // The session's own fault, outside any thread: its connection cannot go on.
      this.#settings.onError(failure);
      this.#conn.abort(`HTTP/2 session failed: ${describe(failure)}`);
    }
  }

  #land(stream: Stream, response: HttpResponse | undefined, error: unknown): void {
    stream.pending = false;
    this.#answered(stream);
    if (stream.aborted !== null || this.#streams.get(stream.streamId) !== stream) {
      // Nobody is left to answer: the response is dropped (a body stream cancelled).
      const body = response?.body;
      if (body != null && typeof body !== "string" && !(body instanceof Uint8Array)) {
        cancelBody(body);
      }
      response?.onWritten?.(stream.aborted ?? new ConnectionClosedError("the stream ended"));
      return this.#streamDone(stream);
    }
    this.#settle(stream, response, error);
  }

  /**
   * Writes the app's answer now when it needs no waiting; a body that must
   * wait for windows, or a failure (`error` unless {@linkcode NONE}), is
   * left to a thread.
   */
  #settle(stream: Stream, response: HttpResponse | undefined, error: unknown): void {
    let rest: Uint8Array | StreamedBody | null = null;
    if (error === NONE) {
      try {
        this.#checkAnswer(stream, response);
        rest = this.#respond(stream, response);
        if (rest === null) {
          if (response.onWritten !== undefined) this.#conn.whenWritten(response.onWritten);
          return this.#streamDone(stream);
        }
      } catch (failure) {
        error = failure;
      }
    }
    this.#spawn(stream, null, response, rest, error);
  }

  /** Runs the rest of a stream's exchange (see {@linkcode #serveStream}) as its thread. */
  #spawn(
    stream: Stream,
    app: AppThread | null,
    response: HttpResponse | undefined,
    rest: Uint8Array | StreamedBody | null,
    error: unknown,
  ): void {
    stream.thread = this.#scheduler.spawn(
      this.#serveStream(stream, app, response, rest, error),
      { name: `conn#${this.#conn.id}/h2#${stream.streamId}` },
    );
  }

  /**
   * A stream's thread: runs the app when it is a thread (timed), sends the
   * `rest` of a response's body within the windows, or answers a failure
   * (`error`); the stream is done when it ends.
   */
  *#serveStream(
    stream: Stream,
    app: AppThread | null,
    response: HttpResponse | undefined,
    rest: Uint8Array | StreamedBody | null,
    error: unknown,
  ): AwayCall<void> {
    try {
      if (error !== NONE) throw error;
      if (app !== null) {
        this.#awaitAnswer(stream);
        try {
          response = yield* app;
        } finally {
          this.#answered(stream);
        }
        this.#checkAnswer(stream, response);
        rest = this.#respond(stream, response);
      }
      if (rest !== null) yield* this.#sendRest(stream, rest);
      if (response!.onWritten !== undefined) this.#conn.whenWritten(response!.onWritten);
    } catch (failure) {
      response?.onWritten?.(failure);
      const answer = this.#failed(stream, failure);
      if (answer !== null) yield* this.#answerError(stream, answer);
    } finally {
      this.#streamDone(stream);
    }
  }

  /** Throws if the app gave no response, or the request body failed meanwhile (the client's fault). */
  #checkAnswer(stream: Stream, response: HttpResponse | undefined): asserts response {
    if (response === undefined || response === null) {
      throw new TypeError("the app returned no response");
    }
    if (stream.body !== null && stream.body.failure !== null) throw stream.body.failure;
  }

  /**
   * A stream's response failed: nothing more if the stream or connection
   * is gone, RST_STREAM if the head went out, else the answer to send (the
   * error's status, or a 500 and `onError`).
   */
  #failed(stream: Stream, error: unknown): HttpResponse | null {
    if (stream.aborted !== null || !this.#conn.isAlive()) return null;
    if (stream.headersSent) {
      this.#resetStream(stream.streamId, ErrorCode.INTERNAL_ERROR, describe(error));
      return null;
    }
    if (error instanceof HttpError) return errorResponse(error.status, error.message);
    const settings = this.#settings;
    settings.onError(error);
    return errorResponse(
      500,
      settings.debug ? `internal server error: ${describe(error)}` : "internal server error",
    );
  }

  /** An error response in place of the app's; if even that fails, the stream is reset. */
  *#answerError(stream: Stream, response: HttpResponse): AwayCall<void> {
    try {
      const rest = this.#respond(stream, response);
      if (rest !== null) yield* this.#sendRest(stream, rest);
    } catch (error) {
      if (stream.aborted === null && this.#conn.isAlive()) {
        this.#resetStream(stream.streamId, ErrorCode.INTERNAL_ERROR, describe(error));
      }
    }
  }

  /**
   * Writes a response's HEADERS (CONTINUATION past the peer's frame size)
   * and, when it fits the windows (§6.9), one frame and the output's room,
   * its whole body with them: one buffer, one write, nothing to wait for.
   * Returns the body still to send (bytes or a stream), or null.
   */
  #respond(stream: Stream, response: HttpResponse): Uint8Array | StreamedBody | null {
    const { status } = response;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`an HTTP/2 response status must be 200-599, not ${status}`);
    }
    const given = response.body;
    // A short ASCII string is its own bytes: copied into the frame, never encoded apart.
    let body: Uint8Array | string | null = null;
    let streamed: StreamedBody | null = null;
    if (typeof given === "string") body = isShortAscii(given) ? given : ENCODER.encode(given);
    else if (given instanceof Uint8Array) body = given;
    else if (given !== null && given !== undefined) streamed = given;
    let length = body === null ? null : body.length;
    const head = stream.head.method === "HEAD";
    if (head || isNullBodyStatus(status)) {
      if (streamed !== null) cancelBody(streamed);
      // A HEAD response says the length its body would have (RFC 9110 §9.3.2).
      if (!head) length = null;
      body = streamed = null;
    }
    const fields = this.#responseFields;
    fields.length = 0;
    responseFields(status, response.headers, length, fields);
    this.#checkStream(stream);
    const n = body === null ? 0 : body.length;
    const conn = this.#conn;
    const max = this.#peer.maxFrameSize;
    const whole = streamed === null && n > 0 && n <= stream.sendWindow &&
      n <= this.#sendWindow && n <= max && conn.bufferedAmount <= conn.highWaterMark;
    if (whole) {
      stream.sendWindow -= n;
      this.#sendWindow -= n;
    }
    const block = this.#encoder.encode(fields);
    this.#send(
      responseFrames(
        stream.streamId,
        block,
        max,
        streamed === null && n === 0,
        whole ? body : null,
      ),
    );
    stream.headersSent = true;
    if (streamed !== null) return streamed;
    if (whole || body === null || n === 0) return null;
    return typeof body === "string" ? ENCODER.encode(body) : body;
  }

  /** The body {@linkcode #respond} could not send at once, within the windows. */
  *#sendRest(stream: Stream, rest: Uint8Array | StreamedBody): AwayCall<void> {
    if (rest instanceof Uint8Array) yield* this.#sendData(stream, rest, true);
    else yield* this.#sendStream(stream, rest);
  }

  /** A body stream, chunk by chunk; cancelled if the stream ends first. */
  *#sendStream(stream: Stream, body: StreamedBody): AwayCall<void> {
    const iterator = body instanceof ReadableStream
      ? null
      : (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const reader = body instanceof ReadableStream ? body.getReader() : null;
    const cancel = (reason?: unknown): void => {
      if (reader !== null) reader.cancel(reason).catch(() => {});
      else iterator!.return?.(reason).then(undefined, () => {});
    };
    stream.onAbort(cancel);
    let done = false;
    try {
      for (;;) {
        const step: { done?: boolean; value?: unknown } = reader !== null
          ? yield* wait(reader.read())
          : yield* wait(iterator!.next());
        if (step.done) break;
        const chunk = step.value;
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError("a response body stream must yield Uint8Array chunks");
        }
        if (chunk.length > 0) yield* this.#sendData(stream, chunk, false);
      }
      done = true;
      yield* this.#sendData(stream, EMPTY, true);
    } finally {
      if (!done) cancel();
    }
  }

  /** DATA frames for `bytes`, each within the peer's windows and frame size, waiting as needed. */
  *#sendData(stream: Stream, bytes: Uint8Array, end: boolean): AwayCall<void> {
    const id = stream.streamId;
    let at = 0;
    do {
      let size = this.#sendable(stream, bytes.length - at);
      if (size < 0) size = yield* this.#waitSendable(stream, bytes.length - at);
      const last = end && at + size === bytes.length;
      if (size <= COPIED_DATA) {
        this.#send(dataFrame(id, bytes, at, size, last));
      } else {
        this.#send(dataHeader(id, size, last));
        this.#send(at === 0 && size === bytes.length ? bytes : bytes.subarray(at, at + size));
      }
      at += size;
    } while (at < bytes.length);
  }

  /**
   * How many of `wanted` bytes may go now without waiting, taken from the
   * windows (at least one, unless none are wanted), or -1 when the peer's
   * windows are closed or the output is above its high-water mark.
   */
  #sendable(stream: Stream, wanted: number): number {
    this.#checkStream(stream);
    const conn = this.#conn;
    if (conn.bufferedAmount > conn.highWaterMark) return -1;
    if (wanted === 0) return 0;
    let size = wanted;
    if (size > stream.sendWindow) size = stream.sendWindow;
    if (size > this.#sendWindow) size = this.#sendWindow;
    if (size > this.#peer.maxFrameSize) size = this.#peer.maxFrameSize;
    if (size <= 0) return -1;
    stream.sendWindow -= size;
    this.#sendWindow -= size;
    return size;
  }

  /**
   * {@linkcode #sendable} once it says something may go: parks while the
   * windows are closed or the output is above its high-water mark, bound by
   * `writeTimeoutMs`.
   */
  *#waitSendable(stream: Stream, wanted: number): AwayCall<number> {
    const conn = this.#conn;
    for (;;) {
      if (conn.bufferedAmount > conn.highWaterMark) {
        conn.whenWritten(() => this.#wake(stream));
        yield* this.#park(stream, "the client took no output in time", "output");
      } else {
        yield* this.#park(
          stream,
          "the client opened no window in time",
          this.#sendWindow > 0 ? "stream" : "window",
        );
      }
      const size = this.#sendable(stream, wanted);
      if (size >= 0) return size;
    }
  }

  /**
   * Parks a stream's thread until `#wake`; past `writeTimeoutMs` the stream
   * is reset (its window stayed shut), the connection told GOAWAY and
   * closed (its window stayed shut), or aborted (the client read nothing).
   */
  *#park(stream: Stream, reason: string, stuck: "stream" | "window" | "output"): AwayCall<void> {
    stream.parked = true;
    const timer = this.#scheduler.setTimeout(this.#settings.writeTimeoutMs, () => {
      if (stuck === "stream") this.#resetStream(stream.streamId, ErrorCode.CANCEL, reason);
      else if (stuck === "window") {
        this.#fail(new Http2Error(ErrorCode.NO_ERROR, "connection", reason));
      } else this.#conn.abort(`write timeout: ${reason}`);
      this.#wake(stream);
    });
    try {
      yield* waitSignalFor((signal) => signal.kind === "h2-wake" && signal.stream === stream);
    } finally {
      stream.parked = false;
      timer.cancel();
    }
  }

  #wake(stream: Stream): void {
    if (!stream.parked || stream.thread === null || !stream.thread.alive) return;
    stream.parked = false;
    this.#scheduler.push({ target: stream.thread, kind: "h2-wake", stream });
  }

  /** Throws if the stream can carry no more of its response. */
  #checkStream(stream: Stream): void {
    if (stream.aborted !== null) throw stream.aborted;
    if (!this.#conn.isAlive()) throw new ConnectionClosedError(this.#conn.closeReason || "closed");
  }

  /**
   * Times the app's answer to `stream`. Every stream gets the same
   * `requestTimeoutMs`, so their deadlines come in the order the streams
   * do: one timer, for the oldest, serves them all.
   */
  #awaitAnswer(stream: Stream): void {
    const ms = this.#settings.requestTimeoutMs;
    if (ms <= 0) return;
    stream.answering = true;
    stream.due = this.#scheduler.now() + ms;
    this.#answering++;
    this.#waiting.push(stream);
    this.#requestTimer ??= this.#scheduler.setTimeout(ms, this.#onRequestTimer);
  }

  /** The app answered (or the stream ended): it is timed no more. */
  #answered(stream: Stream): void {
    if (!stream.answering) return;
    stream.answering = false;
    // With none left the timer stays: it finds nothing when it fires, or serves the next ones.
    if (--this.#answering === 0) this.#waiting.length = 0;
    else if (this.#waiting.length > 2 * this.#answering + 32) {
      // Answered streams are dropped from the queue lazily, but never let them dominate it.
      this.#waiting = this.#waiting.filter((s) => s.answering);
    }
  }

  /** The oldest deadline passed: every stream past its own gets a 503; the timer moves on. */
  readonly #onRequestTimer = (): void => {
    this.#requestTimer = null;
    const waiting = this.#waiting;
    const now = this.#scheduler.now();
    let i = 0;
    for (; i < waiting.length; i++) {
      const stream = waiting[i];
      if (!stream.answering) continue;
      if (stream.due > now) break;
      this.#answered(stream);
      this.#timedOut(stream);
    }
    if (this.#answering === 0) return;
    this.#waiting = waiting.slice(i).filter((s) => s.answering);
    this.#requestTimer = this.#scheduler.setTimeout(
      this.#waiting[0].due - now,
      this.#onRequestTimer,
    );
  };

  /**
   * `requestTimeoutMs` passed before the app answered: a 503, and the app
   * is told (its thread ends after the grace period if it does not).
   */
  #timedOut(stream: Stream): void {
    // The timer is cancelled once the app has answered: nothing of a response is out yet.
    if (stream.aborted !== null || !this.#conn.isAlive()) return;
    const text = "request handler timed out\n";
    const fits = text.length <= stream.sendWindow && text.length <= this.#sendWindow;
    const fields = responseFields(
      503,
      [["content-type", "text/plain; charset=utf-8"]],
      fits ? text.length : null,
    );
    if (fits) {
      stream.sendWindow -= text.length;
      this.#sendWindow -= text.length;
    }
    const block = this.#encoder.encode(fields);
    this.#send(
      responseFrames(stream.streamId, block, this.#peer.maxFrameSize, true, fits ? text : null),
    );
    stream.headersSent = true;
    if (!stream.remoteEnded) {
      this.#send(serializeRstStream(stream.streamId, ErrorCode.NO_ERROR));
    }
    stream.remoteEnded = true;
    this.#abortStream(stream, "request timeout");
  }

  /** Sends RST_STREAM and ends the stream (its thread learns it on its next write). */
  #resetStream(id: number, code: number, reason: string): void {
    this.#send(serializeRstStream(id, code));
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    stream.remoteEnded = true;
    this.#abortStream(stream, reason);
  }

  /** REFUSED_STREAM (§8.7): the client may retry it elsewhere or later. */
  #refuse(id: number, _reason: string): void {
    this.#send(serializeRstStream(id, ErrorCode.REFUSED_STREAM));
  }

  /**
   * The stream ended early: the app and its body are told, the body's
   * queued bytes credited, a parked thread woken, and a thread that does
   * not end killed after the grace period (it still counts meanwhile).
   */
  #abortStream(stream: Stream, reason: string): void {
    if (stream.aborted !== null) return;
    stream.abort(reason);
    const dropped = stream.body?.fail(new HttpError(400, reason)) ?? 0;
    this.#credit(null, dropped);
    this.#wake(stream);
    const thread = stream.thread;
    if (thread !== null ? thread.alive : stream.pending) {
      stream.grace = this.#scheduler.setTimeout(GRACE_MS, () => {
        if (thread === null) this.#streamDone(stream);
        else if (thread.alive) this.#scheduler.kill(thread);
      });
    }
  }

  /** A stream's thread ended: it no longer counts; a request still sending is told to stop (§8.1). */
  #streamDone(stream: Stream): void {
    this.#answered(stream);
    stream.grace?.cancel();
    stream.grace = null;
    stream.bodyTimer?.cancel();
    stream.bodyTimer = null;
    if (this.#streams.get(stream.streamId) !== stream) return;
    this.#streams.delete(stream.streamId);
    if (!stream.remoteEnded && stream.aborted === null && this.#conn.isAlive()) {
      this.#send(serializeRstStream(stream.streamId, ErrorCode.NO_ERROR));
    }
    stream.remoteEnded = true;
    const body = stream.body;
    if (body !== null) {
      // What was queued and not read is dropped and credited; an unfinished body fails.
      this.#credit(null, body.fail(body.finished ? null : new HttpError(400, "response complete")));
    }
    if (this.#streams.size > 0) return;
    this.#requestTimer?.cancel();
    this.#requestTimer = null;
    if (this.#goaway || this.#peerGoaway) this.#conn.close("HTTP/2 connection done");
    else this.#updateDeadline();
  }

  // ---- the connection ----

  /** Queues bytes for the client; nothing once the connection is closing. */
  #send(bytes: Uint8Array): void {
    if (this.#conn.isAlive()) this.#conn.write(bytes);
  }

  /**
   * Reads nothing until the output is back under its high-water mark; past
   * `writeTimeoutMs` the connection is aborted (false), as HTTP/1.1 does
   * with a client that takes no output.
   */
  *#drainOutput(): AwayCall<boolean> {
    const conn = this.#conn;
    this.#setDeadline("output", this.#settings.writeTimeoutMs);
    try {
      yield* conn.flush();
    } catch (error) {
      if (error instanceof DeadlineError) {
        conn.abort("write timeout: the client took no output in time");
        return false;
      }
      if (error instanceof ConnectionClosedError) return false;
      throw error;
    }
    this.#deadline = "";
    if (this.#started) {
      conn.clearDeadline();
      this.#updateDeadline();
    } else {
      this.#setDeadline("preface", this.#settings.headersTimeoutMs);
    }
    return true;
  }

  /** The connection deadline that fits: a header block under way, or idle with no stream. */
  #updateDeadline(): void {
    const conn = this.#conn;
    if (!conn.isAlive() || !this.#started) return;
    if (this.#parser.inHeaderBlock) {
      this.#setDeadline("headers", this.#settings.headersTimeoutMs);
    } else if (this.#streams.size === 0) {
      conn.phase = "idle";
      this.#setDeadline("keep-alive", this.#settings.keepAliveTimeoutMs);
    } else if (this.#deadline !== "") {
      this.#deadline = "";
      conn.clearDeadline();
    }
  }

  #setDeadline(kind: string, ms: number): void {
    if (this.#deadline === kind) return;
    this.#deadline = kind;
    this.#conn.setDeadline(ms, kind);
  }

  /** The connection deadline passed: GOAWAY (unless nothing ever came) and close. */
  #expired(): void {
    const kind = this.#deadline;
    if (kind === "headers") {
      this.#fail(
        new Http2Error(ErrorCode.PROTOCOL_ERROR, "connection", "header block not received in time"),
      );
    } else if (kind === "keep-alive") {
      this.#sendGoaway(ErrorCode.NO_ERROR);
      this.#conn.close("idle timeout");
    } else {
      this.#conn.close("HTTP/2 preface not received in time");
    }
  }

  /** A connection error (§5.4.1): GOAWAY with its code, then close. */
  #fail(error: Http2Error): void {
    this.#sendGoaway(error.code, error.message);
    this.#conn.close(error.message);
  }

  #sendGoaway(code: number, reason = ""): void {
    if (!this.#conn.isAlive()) return;
    this.#goaway = true;
    const debug = reason === "" ? undefined : new TextEncoder().encode(reason.slice(0, 256));
    this.#send(serializeGoaway(this.#lastProcessed, code, debug));
  }

  /** Graceful shutdown (§6.8): GOAWAY with the last stream id; open streams finish, then close. */
  #shutdown(): void {
    if (this.#goaway || !this.#conn.isAlive()) return;
    this.#sendGoaway(ErrorCode.NO_ERROR);
    if (this.#streams.size === 0) this.#conn.close("server shutting down");
  }

  /** The session ends: every stream still open is aborted, and its thread ended. */
  #end(): void {
    this.#requestTimer?.cancel();
    this.#requestTimer = null;
    const reason = this.#conn.closeReason || "connection closed";
    for (const stream of [...this.#streams.values()]) {
      this.#abortStream(stream, reason);
      if (stream.thread?.alive) this.#scheduler.kill(stream.thread);
      this.#streamDone(stream);
    }
    this.#conn.close(reason);
  }
}

/** How long a stream's thread may outlive its stream before it is ended (as the core's grace). */
const GRACE_MS = 1000;
const EMPTY = new Uint8Array(0);
/** No failure: the app answered. */
const NONE: unique symbol = Symbol("none");

type AppThread = Generator<ThreadYield, HttpResponse, Signal>;
const ENCODER = new TextEncoder();

/** What a malformed request's app never sees (it is answered by status). */
const BAD_HEAD: Http2RequestHead = {
  method: "GET",
  scheme: null,
  authority: null,
  path: null,
  target: "",
  headers: undefined as never,
  contentLength: null,
};

function withStream(error: Http2Error, id: number): Http2Error {
  return new Http2Error(
    error.code,
    "stream",
    error.message.replace(/^[A-Z_]+: /, ""),
    id,
    error.status,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

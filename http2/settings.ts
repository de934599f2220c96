/**
 * SETTINGS parameters (RFC 9113 §6.5.2): identifiers, the protocol's
 * initial values, and the validation of values a peer sends.
 *
 * @module
 */

import { ErrorCode, Http2Error } from "./errors.ts";

/**
 * SETTINGS identifiers: RFC 9113 §6.5.2, RFC 8441 (extended CONNECT) and
 * RFC 9218 (no RFC 7540 priorities).
 *
 * @example
 * ```ts
 * import { SettingId } from "@hussar/core/http2";
 * console.log(SettingId.MAX_FRAME_SIZE); // 5
 * ```
 */
export const SettingId: {
  readonly HEADER_TABLE_SIZE: 0x1;
  readonly ENABLE_PUSH: 0x2;
  readonly MAX_CONCURRENT_STREAMS: 0x3;
  readonly INITIAL_WINDOW_SIZE: 0x4;
  readonly MAX_FRAME_SIZE: 0x5;
  readonly MAX_HEADER_LIST_SIZE: 0x6;
  readonly ENABLE_CONNECT_PROTOCOL: 0x8;
  readonly NO_RFC7540_PRIORITIES: 0x9;
} = Object.freeze({
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
  NO_RFC7540_PRIORITIES: 0x9,
});

/**
 * The settings of one side of a connection.
 *
 * @example
 * ```ts
 * import { INITIAL_SETTINGS, type Http2Settings } from "@hussar/core/http2";
 * const ours: Http2Settings = { ...INITIAL_SETTINGS, enablePush: 0, maxConcurrentStreams: 100 };
 * console.log(ours.initialWindowSize); // 65535
 * ```
 */
export interface Http2Settings {
  /** SETTINGS_HEADER_TABLE_SIZE: the decoder's HPACK table limit. */
  headerTableSize: number;
  /** SETTINGS_ENABLE_PUSH: 0 or 1. */
  enablePush: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS (`Infinity` until set). */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: each new stream's flow-control window. */
  initialWindowSize: number;
  /** SETTINGS_MAX_FRAME_SIZE: the largest frame payload the sender accepts. */
  maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE (`Infinity` until set). */
  maxHeaderListSize: number;
}

/**
 * The values every connection starts with, before any SETTINGS frame
 * (RFC 9113 §6.5.2).
 *
 * @example
 * ```ts
 * import { INITIAL_SETTINGS } from "@hussar/core/http2";
 * console.log(INITIAL_SETTINGS.maxFrameSize); // 16384
 * ```
 */
export const INITIAL_SETTINGS: Readonly<Http2Settings> = Object.freeze({
  headerTableSize: 4096,
  enablePush: 1,
  maxConcurrentStreams: Infinity,
  initialWindowSize: 65535,
  maxFrameSize: 16384,
  maxHeaderListSize: Infinity,
});

/** The smallest and largest SETTINGS_MAX_FRAME_SIZE (§6.5.2). */
const MIN_FRAME_SIZE = 16384;
const MAX_FRAME_SIZE = 16777215;
const MAX_WINDOW = 0x7fffffff;

/**
 * Checks one parameter of a received SETTINGS frame (RFC 9113 §6.5.2):
 * ENABLE_PUSH (and RFC 8441's ENABLE_CONNECT_PROTOCOL, RFC 9218's
 * NO_RFC7540_PRIORITIES) other than 0 or 1 is a PROTOCOL_ERROR,
 * INITIAL_WINDOW_SIZE above 2^31-1 a FLOW_CONTROL_ERROR, MAX_FRAME_SIZE
 * outside [2^14, 2^24-1] a PROTOCOL_ERROR, all connection errors. Unknown
 * identifiers are ignored, as the RFC requires.
 *
 * @example
 * ```ts
 * import { SettingId, validateSetting } from "@hussar/core/http2";
 * validateSetting(SettingId.MAX_FRAME_SIZE, 16384); // fine
 * try {
 *   validateSetting(SettingId.INITIAL_WINDOW_SIZE, 2 ** 31);
 * } catch (error) {
 *   console.log((error as Error).message); // FLOW_CONTROL_ERROR: ...
 * }
 * ```
 */
export function validateSetting(id: number, value: number): void {
  switch (id) {
    case SettingId.ENABLE_PUSH:
    case SettingId.ENABLE_CONNECT_PROTOCOL:
    case SettingId.NO_RFC7540_PRIORITIES:
      if (value > 1) {
        throw new Http2Error(
          ErrorCode.PROTOCOL_ERROR,
          "connection",
          `setting ${id} must be 0 or 1`,
        );
      }
      return;
    case SettingId.INITIAL_WINDOW_SIZE:
      if (value > MAX_WINDOW) {
        throw new Http2Error(
          ErrorCode.FLOW_CONTROL_ERROR,
          "connection",
          "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1",
        );
      }
      return;
    case SettingId.MAX_FRAME_SIZE:
      if (value < MIN_FRAME_SIZE || value > MAX_FRAME_SIZE) {
        throw new Http2Error(
          ErrorCode.PROTOCOL_ERROR,
          "connection",
          "SETTINGS_MAX_FRAME_SIZE outside [2^14, 2^24-1]",
        );
      }
  }
}

/**
 * Applies the `[id, value, id, value, ...]` parameters of a SETTINGS frame,
 * in order (§6.5.3), to `settings`, ignoring identifiers it has no field
 * for. The values are expected to be validated already (the frame parser
 * does it).
 *
 * @example
 * ```ts
 * import { applySettings, INITIAL_SETTINGS, SettingId } from "@hussar/core/http2";
 * const peer = { ...INITIAL_SETTINGS };
 * applySettings(peer, [SettingId.INITIAL_WINDOW_SIZE, 1 << 20, SettingId.ENABLE_PUSH, 0]);
 * console.log(peer.initialWindowSize, peer.enablePush); // 1048576 0
 * ```
 */
export function applySettings(settings: Http2Settings, parameters: readonly number[]): void {
  for (let i = 0; i + 1 < parameters.length; i += 2) {
    const value = parameters[i + 1];
    switch (parameters[i]) {
      case SettingId.HEADER_TABLE_SIZE:
        settings.headerTableSize = value;
        break;
      case SettingId.ENABLE_PUSH:
        settings.enablePush = value;
        break;
      case SettingId.MAX_CONCURRENT_STREAMS:
        settings.maxConcurrentStreams = value;
        break;
      case SettingId.INITIAL_WINDOW_SIZE:
        settings.initialWindowSize = value;
        break;
      case SettingId.MAX_FRAME_SIZE:
        settings.maxFrameSize = value;
        break;
      case SettingId.MAX_HEADER_LIST_SIZE:
        settings.maxHeaderListSize = value;
        break;
    }
  }
}

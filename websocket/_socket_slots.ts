/**
 * Keys of what `upgradeWebSocket()` does to the `WebSocket` it made once the
 * upgrade happens or does not. Symbol keys keep them out of the public types.
 *
 * @module
 */

/** Runs the socket over the connection once the 101 is written. */
export const RUN: unique symbol = Symbol("hussar.websocket.run");
/** The upgrade did not happen (another response, a lost client): fail the socket. */
export const CANCEL: unique symbol = Symbol("hussar.websocket.cancel");

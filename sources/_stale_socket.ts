/**
 * Removal of a Unix socket file left behind by a server that died without
 * unlinking it, so that listening on the same path works again.
 *
 * @module
 */
import { lstat, unlink } from "node:fs/promises";
import { connect } from "node:net";

/**
 * Removes `path` if it is a Unix socket nobody listens on (a connect is
 * refused). Anything else is left alone: a missing path, a regular file, a
 * socket with a live server (the listen then fails with "address already in
 * use", as it should).
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch {
    return; // no such file (or unreadable): listen reports it
  }
  if (!isSocket || !(await nobodyListens(path))) return;
  try {
    await unlink(path);
  } catch {
    // Gone meanwhile, or not ours to remove: listen reports what remains.
  }
}

/** Whether connecting to the socket at `path` is refused. */
function nobodyListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: Error & { code?: string }) => {
      socket.destroy();
      resolve(error.code === "ECONNREFUSED");
    });
  });
}

import type { Thread } from "../scheduler/thread.ts";

/** The thread being resumed right now, across all schedulers (JS runs one at a time). */
export const context: { thread: Thread | null } = { thread: null };

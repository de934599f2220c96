/** Test helper: wait for a condition by polling, with a deadline that also stops the polling. */

/**
 * Resolves once `condition()` holds, checking every `everyMs`; rejects with
 * `what` after `ms`. The polling ends either way, so a failed wait leaves
 * nothing running that would keep the process alive.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Polls `probe` until it returns a value (not undefined), or fails naming what it waited for: tests wait on real servers. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 120_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Resolves with `promise`, or fails naming what did not happen within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A request's reply in its `ok` form; a refusal fails the test with what the service said. */
export function okReply<R extends { status: string }>(reply: R): Extract<R, { status: 'ok' }> {
  if (reply.status !== 'ok') throw new Error(`the request was not answered ok: ${JSON.stringify(reply)}`);
  return reply as Extract<R, { status: 'ok' }>;
}

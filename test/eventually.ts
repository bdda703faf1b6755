/**
 * Reads until `done` holds or `timeoutMs` passes, then returns the last read (the assertion after it shows what was
 * missing). The PostgreSQL log holds committed events back while an older transaction anywhere in the cluster is
 * still open (never skipping one is its guarantee, not immediacy), and test files share one cluster: a read right
 * after an append may see nothing yet.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

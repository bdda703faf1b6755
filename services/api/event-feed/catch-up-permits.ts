/**
 * Permits for catch-up reads, shared by every consumer of one process's feed: however many streams page through
 * the log at once, at most `size` pages are being read and encoded at a time, so they neither take every
 * database connection nor flood the event loop (other requests wait behind a few pages, not hundreds), and the
 * pages in memory are bounded by the permits, not by the number of streams. First come, first served.
 */
export interface CatchUpPermits {
  /** Resolves with the release function once a permit is free, or null if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<(() => void) | null>;
  readonly waiting: number;
}

export function createCatchUpPermits(size: number): CatchUpPermits {
  let free = size;
  const queue: Array<(release: () => void) => void> = [];

  const release = () => {
    const next = queue.shift();
    if (next) next(once());
    else free++;
  };
  const once = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };

  return {
    acquire(signal) {
      if (signal.aborted) return Promise.resolve(null);
      if (free > 0) {
        free--;
        return Promise.resolve(once());
      }
      return new Promise((resolve) => {
        const grant = (r: () => void) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const onAbort = () => {
          const i = queue.indexOf(grant);
          if (i >= 0) queue.splice(i, 1);
          resolve(null);
        };
        queue.push(grant);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    get waiting() {
      return queue.length;
    },
  };
}

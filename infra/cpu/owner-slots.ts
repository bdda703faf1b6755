/**
 * At most `perOwner` tasks of one owner (a user) on the pool's threads at once; the owner's next ones wait here, in
 * order, not in the pool's queue. So one user sending many heavy requests at once occupies at most that many
 * threads, and another user's task finds a free one instead of queueing behind them.
 */
export interface OwnerSlots {
  /** Resolves with a release function once the owner has a free slot; rejects with an AbortError if `signal` fires first. */
  acquire(owner: string, signal: AbortSignal): Promise<() => void>;
}

export function createOwnerSlots(perOwner: number): OwnerSlots {
  const owners = new Map<string, { running: number; waiting: Array<() => void> }>();

  const release = (owner: string) => {
    const state = owners.get(owner)!;
    const next = state.waiting.shift();
    if (next) next();
    else if (--state.running === 0) owners.delete(owner);
  };

  return {
    acquire(owner, signal) {
      let state = owners.get(owner);
      if (!state) owners.set(owner, (state = { running: 0, waiting: [] }));
      const slot = state;
      let released = false;
      const releaseOnce = () => {
        if (!released) {
          released = true;
          release(owner);
        }
      };
      if (slot.running < perOwner) {
        slot.running++;
        return Promise.resolve(releaseOnce);
      }
      return new Promise((resolve, reject) => {
        // A freed slot passes to the next waiter directly (`running` stays).
        const grant = () => {
          signal.removeEventListener('abort', onAbort);
          resolve(releaseOnce);
        };
        const onAbort = () => {
          slot.waiting.splice(slot.waiting.indexOf(grant), 1);
          reject(Object.assign(new Error('the task waited too long for its turn'), { name: 'AbortError' }));
        };
        if (signal.aborted) return onAbort();
        slot.waiting.push(grant);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

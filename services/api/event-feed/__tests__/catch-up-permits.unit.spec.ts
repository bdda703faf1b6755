import { describe, expect, test } from '@jest/globals';
import { createCatchUpPermits } from '../catch-up-permits.ts';

describe('catch-up permits', () => {
  test('at most `size` holders at once, the others served first come, first served as permits are released', async () => {
    const permits = createCatchUpPermits(2);
    const never = new AbortController().signal;
    let holding = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const release = await permits.acquire(never);
        holding++;
        most = Math.max(most, holding);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        holding--;
        release!();
        release!(); // a second release is ignored
      }),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(permits.waiting).toBe(0);
  });

  test('a consumer that stops while waiting leaves the queue and takes no permit', async () => {
    const permits = createCatchUpPermits(1);
    const never = new AbortController().signal;
    const first = await permits.acquire(never);
    const stopping = new AbortController();
    const gone = permits.acquire(stopping.signal);
    const next = permits.acquire(never);
    expect(permits.waiting).toBe(2);
    stopping.abort();
    expect(await gone).toBeNull();
    expect(permits.waiting).toBe(1);
    first!();
    const release = await next;
    expect(typeof release).toBe('function');
    expect(await permits.acquire(AbortSignal.abort())).toBeNull();
  });
});

import { Redis } from 'ioredis';
import type { GroupSlotsStore } from './group-slots.ts';

/**
 * Two sorted sets per group: `running` (holder -> lease expiry, ms) and `parked` (holder -> its place in line, from
 * a counter, kept when it is parked again). Each operation is one Lua script on Redis's own clock, so counting and taking a slot are atomic and
 * processes need no agreement on time.
 */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const ACQUIRE = `${NOW}
local running, parked = KEYS[1], KEYS[2]
local holder, max, lease, park, parkTtl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', running, '-inf', now - 1)
if redis.call('ZSCORE', running, holder) or redis.call('ZCARD', running) < max then
  redis.call('ZADD', running, now + lease, holder)
  redis.call('PEXPIRE', running, lease)
  redis.call('ZREM', parked, holder)
  return 1
end
if park and not redis.call('ZSCORE', parked, holder) then
  redis.call('ZADD', parked, redis.call('INCR', KEYS[3]), holder)
end
if park then
  redis.call('PEXPIRE', parked, parkTtl)
  redis.call('PEXPIRE', KEYS[3], parkTtl)
end
return 0`;

const RELEASE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local next = redis.call('ZPOPMIN', KEYS[2])
if #next == 0 then return false end
return next[1]`;

const RENEW = `${NOW}
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[i - 1], ARGV[i]) then redis.call('ZADD', KEYS[i - 1], now + lease, ARGV[i]) end
end
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], lease) end
return 0`;

export function createRedisGroupSlotsStore(options: { url: string; prefix: string }): GroupSlotsStore {
  const redis = new Redis(options.url, { maxRetriesPerRequest: 1, connectTimeout: 5000, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', () => undefined); // reported by the failing calls; ioredis reconnects by itself
  const keys = (group: string) =>
    [`${options.prefix}:${group}:running`, `${options.prefix}:${group}:parked`, `${options.prefix}:${group}:line`] as const;

  return {
    async acquire(group, holder, { max, leaseMs, park, parkTtlMs }) {
      return (await redis.eval(ACQUIRE, 3, ...keys(group), holder, max, leaseMs, park ? '1' : '0', parkTtlMs)) === 1;
    },
    async release(group, holder) {
      const next = await redis.eval(RELEASE, 2, keys(group)[0], keys(group)[1], holder);
      return typeof next === 'string' ? next : null;
    },
    async popParked(group) {
      const popped = await redis.zpopmin(keys(group)[1]);
      return popped[0] ?? null;
    },
    async isParked(group, holder) {
      return (await redis.zscore(keys(group)[1], holder)) !== null;
    },
    async renew(slots, leaseMs) {
      if (slots.length === 0) return;
      await redis.eval(RENEW, slots.length, ...slots.map((s) => keys(s.group)[0]), leaseMs, ...slots.map((s) => s.holder));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The Redis relay (distributed mode): one Redis Stream per channel (`<prefix><channel>`), XADD with an approximate
 * MAXLEN, an `end` entry then EXPIRE once the job is over. Entry ids are the stream entry ids, so an SSE response
 * can send them as `id:` and a client can resume with `Last-Event-ID`.
 *
 * Readers block in XREAD on a connection of their own (taken from a small pool, dropped when a reader is aborted
 * mid-block). Cancellation: a key with the reason (seen by a worker that starts watching late) plus a PUBLISH on
 * one channel that every process with watchers subscribes to.
 */
import { Redis } from 'ioredis';
import {
  DEFAULT_RELAY_MAX_ENTRIES,
  DEFAULT_RELAY_RETENTION_SECONDS,
  RelayGapError,
  RelayIdleError,
  type CompletionRelay,
  type RelayEntry,
  type RelayOptions,
  type RelayReadOptions,
} from './relay.ts';

export interface RedisRelayOptions extends RelayOptions {
  url: string;
  /** Key prefix. Default `ccb:relay:`. */
  prefix?: string;
  /** Idle reader connections kept for reuse. Default 16. */
  poolSize?: number;
  /** Longest single XREAD block (ms); reads loop until their idle timeout. Default 5000. */
  blockMs?: number;
}

const DATA = 'd';
const END = 'end';

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;

export function createRedisRelay(options: RedisRelayOptions): CompletionRelay {
  const prefix = options.prefix ?? 'ccb:relay:';
  const retention = options.retentionSeconds ?? DEFAULT_RELAY_RETENTION_SECONDS;
  const maxEntries = options.maxEntries ?? DEFAULT_RELAY_MAX_ENTRIES;
  const poolSize = options.poolSize ?? 16;
  const blockMs = options.blockMs ?? 5000;
  const cancelTopic = `${prefix}cancel`;
  const key = (channel: string) => `${prefix}${channel}`;
  const cancelKey = (channel: string) => `${prefix}cancel:${channel}`;
  const connect = () => {
    const client = new Redis(options.url, { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false });
    client.on('error', () => undefined);
    return client;
  };

  const writer = connect();
  const idleReaders: Redis[] = [];
  const busyReaders = new Set<Redis>();
  let subscriber: Redis | undefined;
  const watchers = new Map<string, Set<(reason: string) => void>>();
  let closed = false;

  const takeReader = () => {
    const client = idleReaders.pop() ?? connect();
    busyReaders.add(client);
    return client;
  };
  const giveBack = (client: Redis, healthy: boolean) => {
    busyReaders.delete(client);
    if (healthy && !closed && idleReaders.length < poolSize) idleReaders.push(client);
    else client.disconnect();
  };

  const notify = (channel: string, reason: string) => {
    const set = watchers.get(channel);
    if (!set) return;
    watchers.delete(channel);
    for (const w of set) w(reason);
  };

  async function ensureSubscriber(): Promise<void> {
    if (subscriber) return;
    subscriber = connect();
    subscriber.on('message', (_topic: string, message: string) => {
      const { channel, reason } = JSON.parse(message) as { channel: string; reason: string };
      notify(channel, reason);
    });
    await subscriber.subscribe(cancelTopic);
  }

  return {
    kind: 'redis',

    async append<T>(channel: string, data: T): Promise<string> {
      const id = await writer.xadd(key(channel), 'MAXLEN', '~', maxEntries, '*', DATA, JSON.stringify(data));
      return id as string;
    },

    async end(channel: string): Promise<void> {
      await writer.multi().xadd(key(channel), '*', END, '1').expire(key(channel), retention).exec();
    },

    async *read<T = unknown>(channel: string, opts: RelayReadOptions = {}): AsyncGenerator<RelayEntry<T>, void, undefined> {
      const k = key(channel);
      let cursor = opts.after ?? '0-0';
      if (opts.after !== undefined && (await writer.exists(k)) === 0) throw new RelayGapError(channel, opts.after);
      const client = takeReader();
      let healthy = true;
      const onAbort = () => {
        // A reader blocked in XREAD cannot be interrupted otherwise.
        healthy = false;
        client.disconnect();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let idleSince = Date.now();
      try {
        for (;;) {
          if (opts.signal?.aborted || closed) return;
          const waitMs =
            opts.idleTimeoutMs !== undefined ? Math.max(1, Math.min(blockMs, opts.idleTimeoutMs - (Date.now() - idleSince))) : blockMs;
          let reply: StreamReply;
          try {
            reply = (await client.xread('COUNT', 1000, 'BLOCK', waitMs, 'STREAMS', k, cursor)) as StreamReply;
          } catch (err) {
            if (opts.signal?.aborted || closed) return;
            throw err;
          }
          const entries = reply?.[0]?.[1] ?? [];
          if (entries.length === 0) {
            if (opts.idleTimeoutMs !== undefined && Date.now() - idleSince >= opts.idleTimeoutMs)
              throw new RelayIdleError(channel, opts.idleTimeoutMs);
            continue;
          }
          idleSince = Date.now();
          for (const [id, fields] of entries) {
            cursor = id;
            const values = new Map<string, string>();
            for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
            if (values.has(END)) return;
            const raw = values.get(DATA);
            if (raw === undefined) continue;
            yield { id, data: JSON.parse(raw) as T };
            if (opts.signal?.aborted) return;
          }
        }
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        giveBack(client, healthy);
      }
    },

    async exists(channel: string): Promise<boolean> {
      return (await writer.exists(key(channel))) === 1;
    },

    async requestCancel(channel: string, reason: string): Promise<void> {
      await writer.set(cancelKey(channel), reason, 'EX', retention);
      await writer.publish(cancelTopic, JSON.stringify({ channel, reason }));
    },

    async watchCancel(channel: string, onCancel: (reason: string) => void): Promise<() => void> {
      await ensureSubscriber();
      let fired = false;
      const watcher = (reason: string) => {
        if (fired) return;
        fired = true;
        onCancel(reason);
      };
      let set = watchers.get(channel);
      if (!set) {
        set = new Set();
        watchers.set(channel, set);
      }
      set.add(watcher);
      // A request made before this watch began.
      const earlier = await writer.get(cancelKey(channel));
      if (earlier !== null) notify(channel, earlier);
      return () => {
        const current = watchers.get(channel);
        current?.delete(watcher);
        if (current?.size === 0) watchers.delete(channel);
      };
    },

    async close(): Promise<void> {
      closed = true;
      for (const c of busyReaders) c.disconnect();
      for (const c of idleReaders.splice(0)) c.disconnect();
      subscriber?.disconnect();
      await writer.quit().catch(() => writer.disconnect());
    },
  };
}

/**
 * The in-process relay (embedded mode: the API and the worker run in one process). Entry ids are the entry's
 * sequence number in its channel ("1", "2", ...). Readers are woken directly by the writer: no polling, no copy.
 */
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

interface Channel {
  entries: RelayEntry[];
  /** Sequence number of `entries[0]`. */
  firstSeq: number;
  nextSeq: number;
  ended: boolean;
  readers: number;
  wake: Set<() => void>;
  expiry?: NodeJS.Timeout;
}

export function createMemoryRelay(options: RelayOptions = {}): CompletionRelay {
  const retentionMs = (options.retentionSeconds ?? DEFAULT_RELAY_RETENTION_SECONDS) * 1000;
  const maxEntries = options.maxEntries ?? DEFAULT_RELAY_MAX_ENTRIES;
  const channels = new Map<string, Channel>();
  const cancels = new Map<string, { reason: string; timer: NodeJS.Timeout }>();
  const cancelWatchers = new Map<string, Set<(reason: string) => void>>();
  let closed = false;

  const channelOf = (name: string): Channel => {
    let ch = channels.get(name);
    if (!ch) {
      ch = { entries: [], firstSeq: 1, nextSeq: 1, ended: false, readers: 0, wake: new Set() };
      channels.set(name, ch);
    }
    return ch;
  };
  const wakeAll = (ch: Channel) => {
    const wake = [...ch.wake];
    ch.wake.clear();
    for (const w of wake) w();
  };

  return {
    kind: 'memory',

    async append<T>(channel: string, data: T): Promise<string> {
      const ch = channelOf(channel);
      if (ch.ended) throw new Error(`relay channel ${channel} has ended`);
      const id = String(ch.nextSeq++);
      ch.entries.push({ id, data });
      if (ch.entries.length > maxEntries) {
        ch.entries.shift();
        ch.firstSeq += 1;
      }
      wakeAll(ch);
      return id;
    },

    async end(channel: string): Promise<void> {
      const ch = channelOf(channel);
      ch.ended = true;
      wakeAll(ch);
      clearTimeout(ch.expiry);
      ch.expiry = setTimeout(() => channels.delete(channel), retentionMs);
      ch.expiry.unref();
    },

    async *read<T = unknown>(channel: string, opts: RelayReadOptions = {}): AsyncGenerator<RelayEntry<T>, void, undefined> {
      let cursor = opts.after !== undefined ? Number(opts.after) : 0;
      if (!Number.isSafeInteger(cursor) || cursor < 0) throw new RelayGapError(channel, String(opts.after));
      if (opts.after !== undefined && !channels.has(channel)) throw new RelayGapError(channel, opts.after);
      const ch = channelOf(channel);
      ch.readers += 1;
      try {
        for (;;) {
          if (opts.signal?.aborted || closed) return;
          if (cursor < ch.firstSeq - 1) throw new RelayGapError(channel, String(cursor));
          while (cursor < ch.nextSeq - 1) {
            const entry = ch.entries[cursor - ch.firstSeq + 1];
            cursor += 1;
            if (entry) yield entry as RelayEntry<T>;
            if (opts.signal?.aborted) return;
          }
          if (ch.ended) return;
          const outcome = await new Promise<'entry' | 'abort' | 'idle'>((resolve) => {
            let timer: NodeJS.Timeout | undefined;
            const onAbort = () => done('abort');
            const done = (what: 'entry' | 'abort' | 'idle') => {
              clearTimeout(timer);
              opts.signal?.removeEventListener('abort', onAbort);
              ch.wake.delete(wake);
              resolve(what);
            };
            const wake = () => done('entry');
            ch.wake.add(wake);
            opts.signal?.addEventListener('abort', onAbort, { once: true });
            if (opts.idleTimeoutMs !== undefined) timer = setTimeout(() => done('idle'), opts.idleTimeoutMs);
          });
          if (outcome === 'abort') return;
          if (outcome === 'idle') throw new RelayIdleError(channel, opts.idleTimeoutMs ?? 0);
        }
      } finally {
        ch.readers -= 1;
        // A channel only a reader created (the job never wrote to it) is not kept.
        if (ch.readers === 0 && ch.nextSeq === 1 && !ch.ended) channels.delete(channel);
      }
    },

    async exists(channel: string): Promise<boolean> {
      const ch = channels.get(channel);
      return !!ch && (ch.nextSeq > 1 || ch.ended);
    },

    async requestCancel(channel: string, reason: string): Promise<void> {
      const previous = cancels.get(channel);
      if (previous) clearTimeout(previous.timer);
      const timer = setTimeout(() => cancels.delete(channel), retentionMs);
      timer.unref();
      cancels.set(channel, { reason, timer });
      for (const watcher of [...(cancelWatchers.get(channel) ?? [])]) watcher(reason);
      cancelWatchers.delete(channel);
    },

    async watchCancel(channel: string, onCancel: (reason: string) => void): Promise<() => void> {
      const requested = cancels.get(channel);
      if (requested) {
        queueMicrotask(() => onCancel(requested.reason));
        return () => undefined;
      }
      let set = cancelWatchers.get(channel);
      if (!set) {
        set = new Set();
        cancelWatchers.set(channel, set);
      }
      const watcher = (reason: string) => onCancel(reason);
      set.add(watcher);
      return () => {
        const current = cancelWatchers.get(channel);
        current?.delete(watcher);
        if (current?.size === 0) cancelWatchers.delete(channel);
      };
    },

    async close(): Promise<void> {
      closed = true;
      for (const ch of channels.values()) {
        clearTimeout(ch.expiry);
        wakeAll(ch);
      }
      for (const c of cancels.values()) clearTimeout(c.timer);
      channels.clear();
      cancels.clear();
      cancelWatchers.clear();
    },
  };
}

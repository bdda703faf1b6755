import type { QueueLogger } from '../queue.ts';

const noop = (): void => undefined;

export const silentLogger: QueueLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

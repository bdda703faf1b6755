import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'character-chat'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.apiKey', '*.password'], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  });
}

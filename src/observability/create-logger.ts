import pino from 'pino';
import type { Logger } from 'pino';

export interface LoggerSettings {
  level: string;
  pretty: boolean;
}

/**
 * JSON logs written asynchronously (never blocking a request on stdout); pretty printing runs in
 * pino's worker thread.
 */
export function createLogger(settings: LoggerSettings): Logger {
  if (settings.pretty) {
    return pino({
      level: settings.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level: settings.level, base: { pid: process.pid } }, pino.destination({ sync: false, minLength: 4096 }));
}

export type { Logger };

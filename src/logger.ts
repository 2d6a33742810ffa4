import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Structured JSON logs on stdout; tests pass level 'silent'. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined });
}

import { pino, type LoggerOptions, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** JSON lines for machines (log shippers, `docker logs`), or pino-pretty's lines for a person. */
export type LogFormat = 'json' | 'pretty';

export interface LogFormatFacts {
  /** Whether the log's stream is a terminal (process.stdout.isTTY). */
  readonly isTTY: boolean;
  readonly nodeEnv: 'development' | 'production' | 'test';
  /** LOG_FORMAT: set, it wins. */
  readonly logFormat?: LogFormat | undefined;
}

/**
 * Readable lines only for a person at a terminal outside production: output that goes to a file
 * or a pipe is read by programs, and production's by a log collector, so both stay JSON.
 */
export function chooseLogFormat({ isTTY, nodeEnv, logFormat }: LogFormatFacts): LogFormat {
  if (logFormat !== undefined) return logFormat;
  return isTTY && nodeEnv !== 'production' ? 'pretty' : 'json';
}

/** How pretty lines look: the local time of day, and no pid or host (one process, this machine). */
export const PRETTY_OPTIONS = { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } as const;

/** pino's options for a level and format; `destination` is the file descriptor pretty lines go to. */
export function loggerOptions(level: string, format: LogFormat, destination: 1 | 2 = 1): LoggerOptions {
  if (format === 'json') return { level, base: undefined };
  return {
    level,
    base: undefined,
    // A worker thread formats the lines, so a busy request path never waits on colouring text.
    transport: { target: 'pino-pretty', options: { ...PRETTY_OPTIONS, destination } },
  };
}

/** Structured logs on stdout, JSON unless `format` asks for pretty lines; tests pass level 'silent'. */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  return pino(loggerOptions(level, format));
}

import { watchedCountOf } from '../../test/helpers/http.ts';

/**
 * A site the suite can measure: anything that speaks this site's HTTP contract (GET / shows a
 * "videos watched" count and a record-viewing form) and keeps its viewings in Message DB.
 */
export interface Target {
  readonly name: string;
  readonly url: string;
  readonly messageStoreUrl: string;
  /** The app's process, when known: CPU per request, idle CPU and RSS come from /proc. */
  readonly pid?: number;
  /** Reads the count from the home page's HTML; undefined when it is not there. */
  readonly countOf: (html: string) => number | undefined;
  /**
   * The bearer token of its `/status` (this app's subscriber positions), when it has one: the
   * catch-up is then timed to every subscriber of the viewings too, not only to the page.
   */
  readonly statusToken?: string;
}

/** A count pattern from the environment: a regular expression whose first group is the number. */
export function countPattern(source: string): (html: string) => number | undefined {
  const pattern = new RegExp(source, 's');
  return (html) => {
    const digits = pattern.exec(html)?.[1];
    return digits === undefined ? undefined : Number(digits.replaceAll(',', ''));
  };
}

/**
 * The other implementation named by BENCH_TARGET_URL and BENCH_TARGET_MESSAGE_STORE_URL, or
 * none. Another app may word its count differently (the book's says "Viewers have watched 3
 * video(s)"), hence BENCH_TARGET_COUNT_PATTERN.
 */
export function targetFromEnv(env: NodeJS.ProcessEnv): Target | undefined {
  const url = env.BENCH_TARGET_URL;
  if (!url) return undefined;
  const messageStoreUrl = env.BENCH_TARGET_MESSAGE_STORE_URL;
  if (!messageStoreUrl)
    throw new Error(
      'BENCH_TARGET_URL needs BENCH_TARGET_MESSAGE_STORE_URL: the suite counts the viewings in its message store',
    );
  const pid = env.BENCH_TARGET_PID ? Number(env.BENCH_TARGET_PID) : undefined;
  const statusToken = env.BENCH_TARGET_STATUS_TOKEN;
  if (pid !== undefined && !Number.isInteger(pid))
    throw new Error(`BENCH_TARGET_PID is not a process id: ${env.BENCH_TARGET_PID}`);
  return {
    name: env.BENCH_TARGET_NAME || 'theirs',
    url: url.replace(/\/+$/, ''),
    messageStoreUrl,
    ...(pid === undefined ? {} : { pid }),
    ...(statusToken ? { statusToken } : {}),
    countOf: env.BENCH_TARGET_COUNT_PATTERN ? countPattern(env.BENCH_TARGET_COUNT_PATTERN) : watchedCountOf,
  };
}

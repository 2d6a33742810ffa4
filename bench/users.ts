import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { formatPercentiles, percentiles } from './lag.ts';
import { CookieJar } from './site/cookie-jar.ts';
import { VIA_PROXY } from './site/visitor.ts';

const PASSWORD = 'a bench password';
const POLL_MS = 2;

interface UserTimings {
  /** From the register answer until the first log-in succeeded, as a person following the page would. */
  readonly registerToLogIn: number;
  /** The log-in request alone: mostly bcrypt at the app's cost. */
  readonly logIn: number;
  /** From the register answer until the credentials row (what log-in reads) exists. */
  readonly registerToRow: number;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

async function request(
  base: string,
  jar: CookieJar,
  path: string,
  form?: Record<string, string>,
): Promise<{ status: number; text: string; location: string | null }> {
  const cookie = jar.header();
  const answer = await fetch(`${base}${path}`, {
    method: form ? 'POST' : 'GET',
    headers: {
      ...VIA_PROXY,
      ...(cookie ? { cookie } : {}),
      ...(form ? { origin: base, 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    redirect: 'manual',
  });
  jar.take(answer.headers.getSetCookie());
  return { status: answer.status, text: await answer.text(), location: answer.headers.get('location') };
}

const field = (html: string, name: string): string =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

/** One person: the registration form, the page that follows it, then log-in. */
async function oneUser(base: string, credentials: pg.Pool): Promise<UserTimings> {
  const jar = new CookieJar();
  const form = await request(base, jar, '/register');
  const csrf = field(form.text, '_csrf');
  const userId = field(form.text, 'userId');
  const tag = randomUUID().slice(0, 12);
  const email = `bench-${tag}@bench.test`;
  const registered = await request(base, jar, '/register', {
    _csrf: csrf,
    userId,
    email,
    displayName: `Bench ${tag}`,
    handle: `bench_${tag}`,
    password: PASSWORD,
    passwordAgain: PASSWORD,
  });
  if (registered.status !== 303) throw new Error(`registration answered ${registered.status}`);
  const answeredAt = performance.now();

  const row = (async () => {
    while ((await credentials.query('SELECT 1 FROM user_credentials WHERE user_id = $1', [userId])).rowCount === 0)
      await pause();
    return performance.now() - answeredAt;
  })();
  while (!/Registered — log in/.test((await request(base, jar, `/register/${userId}`)).text)) await pause();
  const logInStart = performance.now();
  const loggedIn = await request(base, jar, '/auth/log-in', { _csrf: csrf, email, password: PASSWORD });
  if (loggedIn.status !== 303) throw new Error(`log-in answered ${loggedIn.status}`);
  const done = performance.now();
  return { registerToLogIn: done - answeredAt, logIn: done - logInStart, registerToRow: await row };
}

/** `users` people register and log in, one after another, on the running app at `base`. */
export async function userFigures(
  base: string,
  databaseUrl: string,
  users: number,
  results: Record<string, string>,
): Promise<void> {
  const credentials = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const timings: UserTimings[] = [];
    for (let n = 0; n < users; n += 1) timings.push(await oneUser(base, credentials));
    results['register → first successful log-in'] = formatPercentiles(
      percentiles(timings.map((t) => t.registerToLogIn)),
      users,
    );
    results['  of which the log-in request (bcrypt)'] = formatPercentiles(
      percentiles(timings.map((t) => t.logIn)),
      users,
    );
    results['Register → credentials row'] = formatPercentiles(percentiles(timings.map((t) => t.registerToRow)), users);
  } finally {
    await credentials.end();
  }
}

import type { ErrorPage, NextStep } from './errors.ts';

/** The way back for anything not found: the catalog is on the home page. */
const BROWSE_VIDEOS: NextStep = { href: '/', label: 'Browse the videos on the home page' };
const HOME: NextStep = { href: '/', label: 'Back to the home page' };

/** A heading per status that says what happened, for errors that bring no title of their own. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Please check and try again',
  403: 'Not allowed',
  404: 'Page not found',
  410: 'No longer available',
  413: 'Too large',
  429: 'Too many tries for now',
  503: 'Not right now',
};

/** The title and the link an error page shows: the error's own when it has them, else by status. */
export function errorPage(status: number, page: ErrorPage = {}): Required<ErrorPage> {
  const title = page.title ?? TITLES[status] ?? (status < 500 ? 'That did not work' : 'Something went wrong');
  const next = page.next ?? (status === 404 || status === 410 ? BROWSE_VIDEOS : HOME);
  return { title, next };
}

import type { Response } from 'supertest';

/** The CSRF token a page rendered into its forms. */
export function csrfTokenOf(response: Response): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(response.text);
  if (!match?.[1]) throw new Error('no CSRF token on the page');
  return match[1];
}

/** The home page's count, read the way a visitor reads it. */
export function watchedCountOf(html: string): number | undefined {
  const match = /Viewers have watched <strong>(\d+)<\/strong>/.exec(html);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

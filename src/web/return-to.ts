const ORIGIN = 'http://this-site.invalid';

/**
 * Where to send the browser back to after a form: the form's `returnTo` field when it is a path
 * on this site, otherwise the home page. A path starts with exactly one `/`; `//host` and `/\host`
 * would leave the site, and control characters or spaces (which browsers strip) could hide either.
 */
export function localReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/';
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u0020\u007f\\]/.test(value)) return '/';
  try {
    return new URL(value, ORIGIN).origin === ORIGIN ? value : '/';
  } catch {
    return '/';
  }
}

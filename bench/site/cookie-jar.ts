/**
 * The few cookies one visitor holds for one site, kept as a browser keeps them: a Set-Cookie
 * replaces the value, and an empty or expired one removes it (cookie-session clears that way).
 */
export class CookieJar {
  readonly #values = new Map<string, string>();

  take(setCookies: readonly string[]): void {
    for (const setCookie of setCookies) {
      const [pair = '', ...attributes] = setCookie.split(';').map((part) => part.trim());
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      if (value === '' || attributes.some((attribute) => isExpiry(attribute))) this.#values.delete(name);
      else this.#values.set(name, value);
    }
  }

  /** The Cookie header to send, or undefined when the site has given us nothing to keep. */
  header(): string | undefined {
    if (this.#values.size === 0) return undefined;
    return [...this.#values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function isExpiry(attribute: string): boolean {
  const [name = '', value = ''] = attribute.split('=');
  if (name.toLowerCase() === 'max-age') return Number(value) <= 0;
  if (name.toLowerCase() === 'expires') return Date.parse(value) <= Date.now();
  return false;
}

/** The home page's form as a browser holds it: where it posts, its hidden fields, and the session cookie. */
export interface PageForm {
  readonly action: string;
  readonly fields: Record<string, string>;
  readonly cookie: string;
}

export async function homeForm(base: string, headers: Record<string, string> = {}): Promise<PageForm> {
  const home = await fetch(`${base}/`, { headers });
  const html = await home.text();
  return {
    cookie: home.headers.getSetCookie().map((value) => value.split(';')[0]).join('; '),
    fields: Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!])),
    action: /form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '',
  };
}

/** Posts the form as a browser would from the site's own page (cookie, Origin, hidden fields); returns the status. */
export async function postForm(base: string, form: PageForm): Promise<number> {
  const posted = await fetch(`${base}${form.action}`, {
    method: 'POST',
    headers: { cookie: form.cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form.fields),
    redirect: 'manual',
  });
  return posted.status;
}

/** Records a viewing the way a visitor does: load the home page, press the button. */
export async function recordViewing(base: string): Promise<number> {
  return postForm(base, await homeForm(base));
}

/** A form as a browser would submit it: where it posts and the hidden fields it carries. */
export interface PageForm {
  /** Absolute URL. */
  readonly action: string;
  readonly fields: Readonly<Record<string, string>>;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', quot: '"', lt: '<', gt: '>', '#39': "'", apos: "'" };

function decode(value: string): string {
  return value.replace(/&(amp|quot|lt|gt|#39|apos);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/** Attributes in any order and either quote, as any template engine may write them. */
function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const [, name, double, single, bare] of tag.matchAll(
    /([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g,
  )) {
    attributes.set(name!.toLowerCase(), decode(double ?? single ?? bare ?? ''));
  }
  return attributes;
}

/**
 * The page's record-viewing form: the POST form whose action names record-viewing, else the
 * first POST form. Its hidden fields are whatever the app put there (a CSRF token, returnTo,
 * nothing at all).
 */
export function recordViewingForm(html: string, pageUrl: string): PageForm | undefined {
  const posting = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)]
    .map(([, tag, body]) => ({ attributes: attributesOf(tag!), body: body! }))
    .filter(({ attributes }) => attributes.get('method')?.toLowerCase() === 'post');
  const form = posting.find(({ attributes }) => attributes.get('action')?.includes('record-viewing')) ?? posting[0];
  if (!form) return undefined;
  const fields: Record<string, string> = {};
  for (const [, tag] of form.body.matchAll(/<input\b([^>]*)>/gi)) {
    const input = attributesOf(tag!);
    const name = input.get('name');
    if (input.get('type')?.toLowerCase() === 'hidden' && name) fields[name] = input.get('value') ?? '';
  }
  return { action: new URL(form.attributes.get('action') ?? '', pageUrl).toString(), fields };
}

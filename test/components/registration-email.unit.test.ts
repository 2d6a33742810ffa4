import test from 'tape';
import { createRegistrationEmail } from '../../src/components/identity/registration-email.ts';

/** The words a reader sees in the HTML version: no comments, no tags, entities and spaces as text. */
const visible = (html: string) =>
  html
    .replace(/<head>[\s\S]*<\/head>/, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ')
    .trim();
const words = (text: string) =>
  text
    .replace(/https?:\/\/\S+/g, ' ')
    // Where send-email puts the signed verification link at delivery.
    .replaceAll('%ACCOUNT_LINK%', ' ')
    .replace(/[“”"]/g, '"')
    .replace(/\s+/g, ' ')
    .replace(/:\s*(?=[A-Z]|$)/g, ' ')
    .trim();

test('welcome email: says the account is ready and what it is for, not that watching needs it', (t) => {
  const email = createRegistrationEmail('https://tutorials.example.com/site/')();
  for (const [version, body] of [
    ['text', email.text],
    ['HTML', visible(email.html)],
  ] as const) {
    t.match(body, /Welcome to Video Tutorials!/, `${version}: welcomes`);
    t.match(body, /Your account is ready\./, `${version}: says the account is ready`);
    t.match(body, /Watching needs no account/, `${version}: says watching needs no account`);
    t.match(body, /upload a video file/, `${version}: says what the account is for`);
    t.doesNotMatch(body, /start watching/i, `${version}: not "Log in to start watching"`);
    t.match(body, /If you did not register, you can ignore this email/, `${version}: tells a stranger what to do`);
  }
  t.ok(
    email.text.includes('Log in to publish a video:\nhttps://tutorials.example.com/site/auth/log-in\n'),
    'the text links to the log-in page',
  );
  t.ok(email.text.includes('Browse the videos:\nhttps://tutorials.example.com/site/\n'), 'and to the home page');
  t.match(
    email.html,
    /<a href="https:\/\/tutorials\.example\.com\/site\/auth\/log-in" style="[^"]+">Log in to publish a video<\/a>/,
    'the HTML links to the log-in page',
  );
  t.match(
    email.html,
    /<a href="https:\/\/tutorials\.example\.com\/site\/" style="[^"]+">Browse the videos<\/a>/,
    'and to the home page',
  );
  t.equal(
    words(
      visible(email.html)
        .replace('Log in to publish a video', 'Log in to publish a video:')
        .replace('Browse the videos', 'Browse the videos:'),
    ),
    words(email.text),
    'both versions say the same words',
  );
  t.ok(
    email.text.includes('Confirm my email address:\n%ACCOUNT_LINK%\n'),
    'the text carries the verification link’s place',
  );
  t.match(email.html, /<a href="%ACCOUNT_LINK%" style="[^"]+">Confirm my email address<\/a>/, 'and so does the HTML');
  t.end();
});

test('welcome email: the HTML is styled inline, as email clients need', (t) => {
  const { html } = createRegistrationEmail('https://tutorials.example.com/')();
  t.doesNotMatch(html, /<style|<link/i, 'no stylesheet, which clients ignore');
  t.doesNotMatch(html, /class="/, 'no classes, which would need one');
  for (const element of ['body', 'h1', 'p', 'a'])
    t.match(html, new RegExp(`<${element}\\b[^>]* style="[^"]+"`), `<${element}> has its style inline`);
  t.end();
});

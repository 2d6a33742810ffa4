// The manage page without page changes: forms marked data-instant post in the background and
// show the outcome in their [data-outcome] line (aria-live) once the site has decided; the
// dialog that confirms a delete keeps the title current (public/js/confirm-dialog.js opens it).
// Without this script every form posts as it is and the next page follows the change.

// Most changes are decided within a few tens of milliseconds: ask often for the first second, so
// the answer shows soon after it exists, then back off.
const QUICK_POLL_MS = 30;
const QUICK_FOR_MS = 1000;
const MAX_POLL_MS = 1000;
const SLOW_MS = 3000;
const GIVE_UP_MS = 30000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function say(line, text, kind) {
  line.textContent = text;
  line.dataset.state = kind;
}

/** Asks for the outcome until it is decided: every QUICK_POLL_MS for a second, then less often, for at most GIVE_UP_MS. */
async function outcomeOf(statusUrl, line) {
  const started = performance.now();
  let wait = QUICK_POLL_MS;
  while (performance.now() - started < GIVE_UP_MS) {
    await sleep(wait);
    if (performance.now() - started > QUICK_FOR_MS) wait = Math.min(wait * 2, MAX_POLL_MS);
    const answer = await fetch(statusUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!answer.ok)
      return { state: 'failed', message: 'We could not check whether it was saved. Reload the page to see.' };
    const outcome = await answer.json();
    if (outcome.state !== 'pending') return outcome;
    if (performance.now() - started > SLOW_MS) say(line, 'Still saving…', 'pending');
  }
  return {
    state: 'failed',
    message: 'This is taking longer than it should. Reload the page in a minute to see whether it was saved.',
  };
}

async function send(form, line, submit) {
  const body = new URLSearchParams(new FormData(form));
  say(line, 'Saving…', 'pending');
  submit.disabled = true;
  try {
    const answer = await fetch(form.action, {
      method: 'POST',
      body,
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    });
    const json = answer.headers.get('content-type')?.includes('application/json') ? await answer.json() : undefined;
    if (answer.status !== 202 || !json?.statusUrl) {
      say(
        line,
        json?.error ?? `That was not saved (the site answered ${answer.status}). Reload the page and try again.`,
        'failed',
      );
      return;
    }
    const outcome = await outcomeOf(json.statusUrl, line);
    say(line, outcome.message, outcome.state);
    if (outcome.state === 'done') form.dispatchEvent(new CustomEvent('instant:done', { bubbles: true }));
  } catch {
    say(line, 'The connection broke. Check it and try again; nothing you typed is lost.', 'failed');
  } finally {
    submit.disabled = false;
  }
}

for (const form of document.querySelectorAll('form[data-instant]')) {
  const line = form.querySelector('[data-outcome]');
  const submit = form.querySelector('button[type="submit"]');
  // A title of spaces only passes "required": caught here too, before anything is sent.
  for (const field of form.querySelectorAll('[data-blank-message]')) {
    const check = () => field.setCustomValidity(field.value.trim() === '' ? field.dataset.blankMessage : '');
    field.addEventListener('input', check);
    check();
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send(form, line, submit);
  });
}

// The page's heading follows a saved title.
document.addEventListener('instant:done', (event) => {
  const form = event.target;
  if (form.dataset.instant !== 'name') return;
  const title = form.querySelector('input[name="name"]').value.trim();
  const heading = document.querySelector('[data-video-name]');
  if (heading) heading.textContent = title;
  const inDialog = document.querySelector('[data-delete-name]');
  if (inDialog) inDialog.textContent = title;
  document.title = `${title} · Video Tutorials`;
});

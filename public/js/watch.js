// The watch page: a viewing is recorded when playback first starts, by posting the page's own
// record-viewing form in the background. Without this script the form's button does the same.
const video = document.querySelector('video[data-viewing-form]');
const form = video && document.getElementById(video.dataset.viewingForm);
const status = document.querySelector('[data-viewing-status]');
const count = document.querySelector('[data-view-count]');

function say(text, { refused = false } = {}) {
  if (!status) return;
  status.textContent = text;
  status.classList.toggle('viewing-status--refused', refused);
  status.hidden = false;
}

function showViews(views) {
  if (!count) return;
  count.dataset.viewCount = String(views);
  count.textContent = `${views.toLocaleString('en')} ${views === 1 ? 'view' : 'views'}`;
}

/** A refusal the visitor can act on, in the site's words. */
class Refused extends Error {}

function minutesFrom(retryAfter) {
  const minutes = Math.ceil(Number(retryAfter) / 60);
  return Number.isFinite(minutes) && minutes > 0
    ? `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`
    : 'a few minutes';
}

async function recordViewing() {
  const fields = new URLSearchParams(new FormData(form));
  // The post answers with a redirect; this one lands on the video's count rather than a whole page.
  fields.set('returnTo', form.dataset.afterScript);
  const response = await fetch(form.action, {
    method: 'POST',
    body: fields,
    headers: { 'x-csrf-token': fields.get('_csrf') ?? '' },
    credentials: 'same-origin',
  });
  if (response.status === 429) {
    throw new Refused(
      `Too many viewings from your network just now, so this one was not counted. Try again in ${minutesFrom(response.headers.get('Retry-After'))}.`,
    );
  }
  if (response.status === 404)
    throw new Refused('This video is no longer published, so viewings of it are not counted.');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { views } = await response.json();
  // The count is kept a moment behind, and takes one viewing per visitor in a while: show what
  // it says, never less than the page already shows.
  showViews(Math.max(Number(count?.dataset.viewCount ?? 0), Number(views) || 0));
}

if (video && form) {
  form.hidden = true;
  let recorded = false;
  video.addEventListener('play', () => {
    if (recorded) return;
    recorded = true;
    recordViewing().then(
      () => say('Your viewing was recorded. Thank you for watching.'),
      (error) => {
        if (error instanceof Refused) return say(error.message, { refused: true });
        recorded = false;
        form.hidden = false;
        say('Your viewing could not be recorded just now. Press the button to try again.', { refused: true });
      },
    );
  });
}

// The watch page: a viewing is counted when playback first starts, by posting the page's own
// record-viewing form in the background. Without this script the form's button does the same.
const video = document.querySelector('video[data-viewing-form]');
const form = video && document.getElementById(video.dataset.viewingForm);
const status = document.querySelector('[data-viewing-status]');
const count = document.querySelector('[data-view-count]');

function say(text) {
  if (!status) return;
  status.textContent = text;
  status.hidden = false;
}

function showViews(views) {
  if (!count) return;
  count.dataset.viewCount = String(views);
  count.textContent = `${views.toLocaleString('en')} ${views === 1 ? 'view' : 'views'}`;
}

async function countViewing() {
  const fields = new URLSearchParams(new FormData(form));
  // The post answers with a redirect; this one lands on the video's count rather than a whole page.
  fields.set('returnTo', form.dataset.afterScript);
  const response = await fetch(form.action, {
    method: 'POST',
    body: fields,
    headers: { 'x-csrf-token': fields.get('_csrf') ?? '' },
    credentials: 'same-origin',
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { views } = await response.json();
  // The count is kept by a subscriber a moment behind: this viewing may not be in it yet.
  showViews(Math.max(Number(count?.dataset.viewCount ?? 0) + 1, Number(views) || 0));
}

if (video && form) {
  form.hidden = true;
  let counted = false;
  video.addEventListener('play', () => {
    if (counted) return;
    counted = true;
    countViewing().then(
      () => say('Your viewing was counted.'),
      () => {
        counted = false;
        form.hidden = false;
        say('Your viewing could not be counted just now. Press the button to try again.');
      },
    );
  });
}

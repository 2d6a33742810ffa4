// The watch page's up next (issue 19): when the video ends, the first video of the "Up next" list
// is offered beside the player, announced politely; it plays only when the viewer presses Play.
// Without this script the list is still there, and each of its links opens the video.
const video = document.querySelector('.watch__video');
const player = document.querySelector('.watch__player');
const first = document.querySelector('[data-up-next="first"]');
/** Set by Play on one page and read by the next: the video the viewer asked to play, and when. */
const PLAY_KEY = 'up-next:play';
/** A Play whose page did not come at once (gone, left, opened elsewhere) starts nothing later. */
const PLAY_FRESH_MS = 10_000;

function stored(action) {
  try {
    return action(window.sessionStorage);
  } catch {
    // Storage refused (a private window's settings): Play still opens the video.
    return null;
  }
}

// Arrived here by pressing Play at the end of the last video: start this one (that press was the
// viewer's click). A browser that still refuses leaves the play button to them.
const wanted = stored((storage) => storage.getItem(PLAY_KEY));
if (wanted !== null) {
  stored((storage) => storage.removeItem(PLAY_KEY));
  let note;
  try {
    note = JSON.parse(wanted);
  } catch {
    note = undefined;
  }
  const fresh = note && typeof note.at === 'number' && Math.abs(Date.now() - note.at) < PLAY_FRESH_MS;
  if (video && fresh && note.path === window.location.pathname) {
    // A video the viewer stopped part-way through plays from there (public/js/playback.js offers
    // it): from the start, its first report would overwrite their place.
    const resume = document.querySelector('[data-resume-at]');
    if (resume) resume.click();
    else video.play().catch(() => {});
  }
}

if (video && player && first) {
  // The live region is on the page from the start, empty (and taking no room: site.css), never
  // display: none, so what is put in it is announced.
  const offer = document.createElement('div');
  offer.className = 'up-next-offer';
  offer.setAttribute('aria-live', 'polite');
  player.after(offer);

  const nameOf = () => first.textContent?.trim() || 'the next video';

  function show() {
    const name = nameOf();
    const text = document.createElement('p');
    text.className = 'up-next-offer__text';
    const title = document.createElement('strong');
    title.textContent = name;
    text.append('Up next: ', title);

    const play = document.createElement('a');
    play.className = 'button button--primary';
    play.href = first.href;
    play.textContent = 'Play';
    const which = document.createElement('span');
    which.className = 'visually-hidden';
    which.textContent = ` ${name}`;
    play.append(which);
    play.addEventListener('click', (event) => {
      // Ctrl, Shift, Alt or Cmd opens the video in another tab or window, where this tab's note is not
      // read: left here, it would start that video when the viewer later opens it in this tab.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      stored((storage) =>
        storage.setItem(PLAY_KEY, JSON.stringify({ path: new URL(first.href).pathname, at: Date.now() })),
      );
    });

    const stay = document.createElement('button');
    stay.type = 'button';
    stay.className = 'button';
    stay.textContent = 'Not now';
    stay.addEventListener('click', () => {
      hide();
      video.focus();
    });

    const actions = document.createElement('p');
    actions.className = 'up-next-offer__actions';
    actions.append(play, stay);
    offer.replaceChildren(text, actions);
  }

  function hide() {
    offer.replaceChildren();
  }

  video.addEventListener('ended', show);
  // Watching it again (or seeking back from the end) takes the offer away.
  video.addEventListener('play', hide);
}

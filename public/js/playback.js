// Continue watching, on the watch page of a logged-in viewer: the player reports where the viewer
// is every 15 s while it plays, at each pause, at the end and on leaving the page, and offers to
// resume where they stopped last time. Without this script the video plays from the start.
const video = document.querySelector('video.watch__video');
const box = document.querySelector('[data-playback]');
const REPORT_EVERY_MS = 15_000;

if (video && box) {
  const url = box.dataset.playback;
  const token = box.dataset.csrf ?? '';
  let lastSent;
  let played = false;
  video.addEventListener('play', () => (played = true));

  function report({ leaving = false } = {}) {
    const duration = video.duration;
    if (!Number.isFinite(duration) || duration <= 0) return;
    // Not played on this page (opened, then left): 0:00 would overwrite where the viewer stopped last time.
    if (!played) return;
    const position = Math.min(video.currentTime, duration);
    // Nothing moved since the last report (a pause, then leaving): nothing to say.
    if (lastSent !== undefined && Math.abs(position - lastSent) < 1) return;
    lastSent = position;
    const body = new URLSearchParams({
      _csrf: token,
      positionSeconds: position.toFixed(1),
      durationSeconds: duration.toFixed(1),
    });
    // A page being left may not finish a fetch; a beacon is sent anyway (its body carries the token).
    if (leaving && typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(url, body)) return;
    fetch(url, {
      method: 'POST',
      body,
      headers: { 'x-csrf-token': token },
      credentials: 'same-origin',
      keepalive: true,
    }).catch(() => {
      lastSent = undefined;
    });
  }

  setInterval(() => {
    if (!video.paused && !video.ended) report();
  }, REPORT_EVERY_MS);
  video.addEventListener('pause', () => report());
  video.addEventListener('ended', () => report());
  addEventListener('pagehide', () => report({ leaving: true }));

  const offer = box.querySelector('[data-resume-offer]');
  if (offer) {
    const playFrom = (seconds) => {
      offer.hidden = true;
      const seek = () => {
        video.currentTime = seconds;
        video.play().catch(() => {});
        video.focus();
      };
      if (video.readyState >= 1) seek();
      else video.addEventListener('loadedmetadata', seek, { once: true });
    };
    offer
      .querySelector('[data-resume-at]')
      ?.addEventListener('click', (event) => playFrom(Number(event.currentTarget.dataset.resumeAt) || 0));
    offer.querySelector('[data-start-over]')?.addEventListener('click', () => playFrom(0));
    // Once the viewer plays by other means, the offer has nothing left to offer.
    video.addEventListener('play', () => (offer.hidden = true), { once: true });
    offer.hidden = false;
  }
}

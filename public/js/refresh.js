// A page following work in progress reloads itself every few seconds (the seconds are in
// <meta name="refresh-seconds">; without script a <noscript> meta refresh does the same). Here
// the visitor can stop it, and it waits while they are typing in a field, so a reload never
// takes the page away from under someone reading or writing.
const seconds = Number(document.querySelector('meta[name="refresh-seconds"]')?.content);

function typing() {
  const active = document.activeElement;
  return (
    active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement || active instanceof HTMLSelectElement
  );
}

if (Number.isFinite(seconds) && seconds > 0) {
  let timer;
  const schedule = () => {
    timer = setTimeout(() => (typing() ? schedule() : location.reload()), seconds * 1000);
  };
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'button refresh-control';
  button.textContent = 'Stop checking';
  button.addEventListener('click', () => {
    if (timer === undefined) return location.reload();
    clearTimeout(timer);
    timer = undefined;
    button.textContent = 'Check now';
  });
  // After the page's own note on refreshing, else after its heading.
  const note = document.querySelector('[data-refresh-note]') ?? document.querySelector('main h1');
  note?.after(button);
  schedule();
}

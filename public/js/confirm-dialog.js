// A link marked data-confirm-dialog="<id>" opens that <dialog> instead of its page: the page
// (which asks the same question) is for browsers without script. The dialog's own forms do the
// rest: one posts, one (method="dialog") closes it.
for (const link of document.querySelectorAll('a[data-confirm-dialog]')) {
  const dialog = document.getElementById(link.dataset.confirmDialog);
  if (!(dialog instanceof HTMLDialogElement) || typeof dialog.showModal !== 'function') continue;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    dialog.showModal();
  });
  // Keep it: the keyboard is back where it was.
  dialog.addEventListener('close', () => link.focus());
}

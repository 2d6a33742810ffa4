// The upload form with a progress bar. Without this script the form posts as it is (the browser
// shows its own progress); with it, the file goes by XMLHttpRequest, whose upload reports progress.
const form = document.querySelector('form[data-upload]');

const megabytes = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** A title from a file's name, as the server makes one: no folder, no extension, underscores as spaces. */
function titleFromFileName(name) {
  return name
    .split(/[\\/]/)
    .pop()
    .replace(/\.[^.\s]{1,5}$/, '')
    .replace(/_+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The message of our error page (a 403, 413 or 400 answered to the upload). */
function messageOf(page, status) {
  // A refused form (400) marks each field's problem; that is the message.
  const fieldErrors = page ? [...page.querySelectorAll('main .field__error')].map((p) => p.textContent.trim()) : [];
  if (fieldErrors.length > 0) return fieldErrors.join(' ');
  const paragraphs = page
    ? [...page.querySelectorAll('main p')].filter((p) => !p.classList.contains('error-status'))
    : [];
  return paragraphs[0]?.textContent?.trim() || `The upload failed (HTTP ${status}). Please try again.`;
}

if (form) {
  const input = form.querySelector('input[type="file"]');
  const error = form.querySelector('[data-upload-error]');
  const progress = form.querySelector('[data-upload-progress]');
  const bar = progress.querySelector('progress');
  const text = progress.querySelector('.upload-progress__text');
  const submit = form.querySelector('[data-upload-submit]');
  const cancel = form.querySelector('[data-upload-cancel]');
  const maxBytes = Number(form.dataset.maxBytes);
  let request = null;
  const title = form.querySelector('[data-title-from-file]');
  // Filled from the file's name until the creator types a title of their own.
  let titleTyped = title?.value.trim() !== '';
  title?.addEventListener('input', () => {
    titleTyped = title.value.trim() !== '';
  });
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (title && file && !titleTyped) title.value = titleFromFileName(file.name);
  });

  const showError = (message) => {
    error.textContent = message;
    error.hidden = false;
  };
  const reset = () => {
    request = null;
    submit.disabled = false;
    input.disabled = false;
    cancel.hidden = true;
    progress.hidden = true;
  };

  form.addEventListener('submit', (event) => {
    const file = input.files?.[0];
    if (!file) return; // the browser's own "required" message
    event.preventDefault();
    error.hidden = true;
    // Refused before a byte is sent: the server would refuse it anyway, after the whole upload.
    if (maxBytes && file.size > maxBytes) {
      showError(
        `That file is ${megabytes(file.size)}; a video may be at most ${megabytes(maxBytes)}. Nothing was uploaded.`,
      );
      return;
    }
    const body = new FormData(form);
    request = new XMLHttpRequest();
    request.open('POST', form.action);
    request.responseType = 'document';
    request.upload.addEventListener('progress', (progressEvent) => {
      if (!progressEvent.lengthComputable) return;
      const percent = Math.floor((progressEvent.loaded / progressEvent.total) * 100);
      bar.value = percent;
      text.textContent = `${percent} % · ${megabytes(progressEvent.loaded)} of ${megabytes(progressEvent.total)}`;
    });
    request.upload.addEventListener('load', () => {
      text.textContent = 'Uploaded. Storing it…';
    });
    request.addEventListener('load', () => {
      const { status, responseURL, response } = request;
      if (status >= 200 && status < 300 && responseURL) {
        // The post was answered with a redirect to the operation page, which the request followed.
        window.location.assign(responseURL);
        return;
      }
      reset();
      showError(messageOf(response, status));
    });
    request.addEventListener('error', () => {
      reset();
      showError('The connection broke during the upload. Please try again.');
    });
    request.addEventListener('abort', () => {
      reset();
      showError('Upload cancelled. Nothing was kept.');
    });
    submit.disabled = true;
    cancel.hidden = false;
    progress.hidden = false;
    bar.value = 0;
    text.textContent = `Starting… ${megabytes(file.size)}`;
    request.send(body);
    // Disabled only now: a disabled input is left out of the form data.
    input.disabled = true;
  });

  cancel.addEventListener('click', () => request?.abort());
}

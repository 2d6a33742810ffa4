const CHECK_EVERY_MS = 1_000;

/**
 * Calls `onOrphaned` once the process that started us has gone. `npm start` ends on SIGTERM
 * without passing it on, which used to leave the app (and its embedded PostgreSQL) running;
 * when npm goes, the app is handed to another parent, and this notices within a second.
 */
export function whenParentExits(onOrphaned: () => void): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

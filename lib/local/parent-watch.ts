/**
 * Calls `onGone` once when this process's parent goes away (its parent pid changes: we were re-parented to init
 * or a subreaper). `npx pgproof …` runs us through `sh -c`; a SIGTERM to npx ends npx and the shell but is not
 * passed on, so without this the run would go on, orphaned. Returns a function that stops watching.
 */
export function watchParent(onGone: () => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

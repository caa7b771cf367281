/**
 * Runs `task` now and then every `intervalMs` until the returned function is called.
 * A run never overlaps the previous one (a slow database skips ticks instead of piling them
 * up), the timer does not keep the process alive, and a failure goes to `onError` while the
 * next tick simply tries again.
 */
export function every(intervalMs: number, task: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Runs `fn` at most once per `ms`, at the end of the window: a burst of events (a compound job
 * starts a parent and several children at once) turns into one refetch, not one per event.
 */
export function coalesce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

/**
 * Guards against out-of-order responses: a store takes a ticket before it calls, and only the
 * newest ticket's response may write to the store.
 */
export function latestOnly(): () => () => boolean {
  let newest = 0;
  return () => {
    const ticket = ++newest;
    return () => ticket === newest;
  };
}

/**
 * A value read at most once per `maxAgeMilliseconds`, shared by the callers meanwhile (concurrent
 * callers share the read under way). A failed read is not kept.
 */
export function recentValue<T>(read: () => Promise<T>, maxAgeMilliseconds: number): () => Promise<T> {
  let value: Promise<T> | undefined;
  let readAt = 0;
  return () => {
    const now = performance.now();
    if (!value || now - readAt >= maxAgeMilliseconds) {
      readAt = now;
      const reading = read();
      value = reading;
      reading.catch(() => {
        if (value === reading) value = undefined;
      });
    }
    return value;
  };
}

/**
 * Work on a lab's nodes goes a few at a time: where every node speaks through one console (a kernel's
 * tty), more than about 4 KiB reaching it in one burst stalls it for good.
 */
export const NODES_AT_ONCE = 4;

/**
 * `work` on every item, at most `atOnce` running at a time, results in the items' order. The first
 * failure is thrown once every started item has settled; items not yet started are not started.
 */
export async function atMost<T, R>(atOnce: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await work(items[i] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

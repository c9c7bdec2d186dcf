/**
 * A script for a LabHost is one argument (`sh -c SCRIPT`, and sshd hands a remote command to the
 * user's shell the same way), which Linux caps at 128 KiB: a script made from many parts stays well below.
 */
export const SCRIPT_BUDGET = 64 * 1024;

/** Items in order, cut into batches whose cost stays under `budget` (an item dearer than that goes alone). */
export function inBatches<T>(items: readonly T[], cost: (item: T) => number, budget = SCRIPT_BUDGET): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + cost(item) > budget) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += cost(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

import { InputError } from "../model/errors.ts";
import { quoteName } from "../model/names.ts";

/** One part of a suite split over machines: the `index`-th of `count` (both from 1). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

const MAX_SHARDS = 999;

/** `--shard i/n`, 1 ≤ i ≤ n ≤ 999; anything else is bad input naming the flag. */
export function parseShard(value: string): Shard {
  const match = /^([1-9][0-9]{0,2})\/([1-9][0-9]{0,2})$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || index > count || count > MAX_SHARDS)
    throw new InputError(
      `--shard ${quoteName(value)}: give i/n, this machine's part i of n (1 ≤ i ≤ n ≤ ${MAX_SHARDS}), e.g. --shard 2/3`,
    );
  return { index, count };
}

/** What the split needs to know of one item: a name that is unique and stable, and what it costs. */
export interface ShardItem {
  readonly key: string;
  readonly weight: number;
}

/**
 * Splits items into `count` shards, each item in exactly one, the same way on every machine given the
 * same items: heaviest first, each to the shard with the least weight so far (longest processing time
 * first), ties broken by a hash of the key and then the key — never by the order the items came in,
 * which may differ between machines (directory listing order).
 */
export function splitIntoShards<T extends ShardItem>(items: readonly T[], count: number): T[][] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count ${count}`);
  const shards = Array.from({ length: count }, () => ({ load: 0, items: [] as T[] }));
  const ordered = [...items].sort(
    (a, b) => b.weight - a.weight || stableHash(a.key) - stableHash(b.key) || compare(a.key, b.key),
  );
  for (const item of ordered) {
    let lightest = shards[0] as (typeof shards)[number];
    for (const shard of shards) if (shard.load < lightest.load) lightest = shard;
    lightest.items.push(item);
    lightest.load += Math.max(0, item.weight);
  }
  return shards.map((shard) => shard.items.sort((a, b) => compare(a.key, b.key)));
}

/** The items of one shard (see {@link splitIntoShards}). */
export function shardOf<T extends ShardItem>(items: readonly T[], shard: Shard): T[] {
  return splitIntoShards(items, shard.count)[shard.index - 1] ?? [];
}

/** FNV-1a over UTF-16 code units: the same number for the same key in every process and on every machine. */
export function stableHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

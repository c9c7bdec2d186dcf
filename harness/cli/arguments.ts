import { InputError } from "../model/errors.ts";
import { checkName, quoteName } from "../model/names.ts";
import { PROVIDER_NAMES } from "../providers/registry.ts";

/**
 * Commander parsers that check a name where it enters, with a message naming the argument or flag.
 * They throw InputError (exit 2), not commander's InvalidArgumentError, whose message would echo a
 * hostile value raw and in full.
 */
type Rule = Parameters<typeof checkName>[0];

export const nameArg = (rule: Rule, what: string) => (value: string) => checkName(rule, value, what);

/** For a variadic argument: commander folds the values through the parser one by one. */
export const namesArg =
  (rule: Rule, what: string) =>
  (value: string, previous: readonly string[] = []) => [...previous, checkName(rule, value, what)];

/** A lab or scenario given by name, or as a `.yaml` file (whose content the loader then checks, name included). */
export const nameOrFileArg = (rule: Rule, what: string) => (value: string) =>
  value.endsWith(".yaml") ? value : checkName(rule, value, what);

export const providerArg = (value: string) => {
  const choices = ["auto", ...PROVIDER_NAMES];
  if (!choices.includes(value))
    throw new InputError(`--provider ${quoteName(value)}: choose one of ${choices.join(", ")}`);
  return value;
};

/** `--retries n`: 0 to 5; more would hide a broken lab behind patience. */
export const parseRetries = (value: string) => {
  if (!/^[0-5]$/.test(value)) throw new InputError(`--retries ${quoteName(value)}: give a whole number from 0 to 5`);
  return Number(value);
};

/** `--history-limit n`: 1 to 1000 earlier reports. */
export const parseHistoryLimit = (value: string) => {
  if (!/^[1-9][0-9]{0,2}$|^1000$/.test(value))
    throw new InputError(`--history-limit ${quoteName(value)}: give a whole number from 1 to 1000`);
  return Number(value);
};

/** `k8s --shards n`: 1 to 999, as `run --shard i/n` takes. */
export const parseShardCount = (value: string) => {
  if (!/^[1-9][0-9]{0,2}$/.test(value))
    throw new InputError(`--shards ${quoteName(value)}: give a whole number from 1 to 999`);
  return Number(value);
};

/** `--stage n`, `--to-stage n`: a stage number, 1 to 99 (a scenario's stages are counted from 1). */
export const stageArg = (flag: string) => (value: string) => {
  if (!/^[1-9][0-9]?$/.test(value))
    throw new InputError(`${flag} must be a stage number (1, 2, …), got ${quoteName(value)}`);
  return Number(value);
};

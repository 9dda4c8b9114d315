import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AxonError, UsageError } from '../../src/core/errors.ts';

/**
 * Runs a training script's `main`: bad input (an AxonError, e.g. a UsageError for a flag) prints one
 * line with its code and exits 2, as the axon CLI does; anything else is a crash with its stack.
 */
export async function runScript(file: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (!(e instanceof AxonError)) throw e;
    process.stderr.write(`${basename(new URL(file).pathname)}: error [${e.code}]: ${e.message}\n`);
    process.exitCode = 2;
  }
}

/** A whole-number flag from `min` to 2^32 - 1 (seeds, iterations, workers); UsageError naming the flag otherwise. */
export function wholeFlag(flag: string, value: string, min: number): number {
  const x = Number(value);
  if (!/^\d+$/.test(value.trim()) || x < min || x > 0xffffffff) throw new UsageError(flag, `"${value}" is not a whole number from ${min}`, `a whole number from ${min} to 4294967295`);
  return x;
}

/** node:util parseArgs, its errors (unknown flag, missing or ambiguous value) as a UsageError naming the flag. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (!err.code?.startsWith('ERR_PARSE_ARGS')) throw e;
    const flag = /'(-[^' ]+)/.exec(err.message)?.[1] ?? 'arguments';
    throw new UsageError(flag, err.message.split('\n')[0], "the flags in the script's header comment");
  }
}

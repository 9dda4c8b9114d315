import { basename } from 'node:path';
import { AxonError } from '../../src/core/errors.ts';

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

/** Runs the `axon` CLI (bin/axon.js) as a user would, for the end-to-end tests. */
import { spawnSync } from 'node:child_process';

export interface CliRun {
  /** Exit code; null when the process was killed (it ran past the timeout: a hang fails the test). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The last line of stdout: with --json, the summary object. */
  readonly lastLine: string;
}

/** Runs `axon ARGS` to its end, killed (SIGKILL) after timeoutMs. */
export function runAxon(args: readonly string[], timeoutMs = 120_000, env?: NodeJS.ProcessEnv): CliRun {
  const r = spawnSync(process.execPath, ['bin/axon.js', ...args], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', ...(env ? { env } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lastLine: r.stdout.trim().split('\n').at(-1) ?? '' };
}

/** `axon ARGS` with the default timeout (120 s). */
export const axon = (...args: string[]): CliRun => runAxon(args);

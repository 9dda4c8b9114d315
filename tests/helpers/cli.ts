/** Runs the `axon` CLI (bin/axon.js) as a user would, for the end-to-end tests. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

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

/** Starts `axon ARGS` in the background: the process and its stdout and stderr so far, interleaved. */
export function startAxon(args: readonly string[]): { p: ChildProcess; out: () => string } {
  const p = spawn(process.execPath, ['bin/axon.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  return { p, out: () => out };
}

/** Running the hardware CLI (helpers/cli.ts) in a child process, and waiting on what it prints. */
import { spawnSync, execFileSync } from 'node:child_process';

/** node arguments that run the CLI with the hardware commands. */
export const CLI = ['--import', 'tsx', 'tests/hardware/helpers/cli.ts'];

/** Runs `axon ...args` to its end (killed after `timeoutMs`); `last` is stdout's last line. */
export function runAxon(args: readonly string[], timeoutMs: number) {
  const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: r.stdout.trim().split('\n').at(-1) ?? '' };
}

export function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Polls `f` every 50 ms until it gives a value; throws after `ms`. */
export async function waitFor<T>(f: () => T | undefined, ms: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

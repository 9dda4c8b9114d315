/** Running the hardware CLI (helpers/cli.ts) in a child process, and waiting on what it prints. */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';

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

/**
 * `axon hw emulate ...args --listen 127.0.0.1:0` in a child process, added to `procs` (for
 * stopAll): resolves the host:port it serves on once it prints it, with the child and what it has
 * printed on stdout; throws with that output if it exits before.
 */
export async function emulate(procs: ChildProcess[], ...args: string[]): Promise<{ addr: string; child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [...CLI, 'hw', 'emulate', ...args, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const addr = await waitFor(() => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`axon hw emulate exited (${child.exitCode ?? child.signalCode}): ${out}`);
    return /tcp:\/\/([\d.]+:\d+)/.exec(out)?.[1];
  }, 30_000);
  return { addr, child, out: () => out };
}

/** Sends `signal` to each of `procs` still running, the last started first. */
export function stopAll(procs: ChildProcess[], signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const p of [...procs].reverse()) if (p.exitCode === null && p.signalCode === null) p.kill(signal);
}

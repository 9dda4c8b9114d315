/**
 * `axon` run in its own process beside a server the test serves, and what the test opened: every
 * child SIGKILLed (and awaited) and everything opened closed, newest first, after each test.
 * Call once at the top of a test file (it registers the afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';

export interface AxonProc {
  out: string;
  err: string;
  /** The exit code (null when killed by a signal). */
  readonly done: Promise<number | null>;
}

export function axonChildren(): { readonly open: { close(): Promise<void> | void }[]; axon(args: string[], env?: NodeJS.ProcessEnv): AxonProc } {
  const open: { close(): Promise<void> | void }[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        const closed = new Promise((r) => c.once('close', r));
        c.kill('SIGKILL');
        await closed;
      }
    }
    for (const c of open.splice(0).reverse()) await c.close();
  });
  /** `axon ARGS` in its own process (the test's server keeps serving meanwhile), SIGKILLed after 90 s. */
  function axon(args: string[], env?: NodeJS.ProcessEnv): AxonProc {
    const child = spawn(process.execPath, ['bin/axon.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    children.push(child);
    const p = { out: '', err: '' } as AxonProc;
    child.stdout!.on('data', (d) => (p.out += d));
    child.stderr!.on('data', (d) => (p.err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    Object.assign(p, { done: new Promise<number | null>((r) => child.on('close', (code) => (clearTimeout(timer), r(code)))) });
    return p;
  }
  return { open, axon };
}

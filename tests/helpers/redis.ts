import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether Debian's redis-server is on this machine (.ci/run installs it). */
export const hasRedis = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A throw-away redis-server on a free loopback port, no persistence. */
/** @param extra more redis-server arguments (e.g. ['--requirepass', 'pw']: the ping below then reads NOAUTH, which is up too) */
export async function startRedis(extra: readonly string[] = []): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (/PONG|NOAUTH/.test(spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString() ?? '')) break;
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

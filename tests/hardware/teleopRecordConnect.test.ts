/**
 * `axon teleop --record FILE` whose leader cannot be connected: the error, exit 2, at once: no
 * recording file left behind (an empty one broke `axon export lerobot` of its folder), an existing
 * one untouched, and nothing the --record check started (the recorder's writer thread) keeps the
 * process alive until the launcher's hard exit. Runs the real launcher, bin/axon.js.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port nothing listens on (a server's, closed again): connecting is refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function teleop(port: number, file: string) {
  const args = ['bin/axon.js', 'teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-follower.json', '--leader-port', `tcp://127.0.0.1:${port}`, '--follower-port', 'emu://', '--hz', '50', '--duration', '2', '--record', file, '--json'];
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
}

describe('axon teleop --record: an arm that fails to connect', () => {
  it('exits 2 with the error, leaves no recording file, and nothing keeps the process alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-teleop-rec-'));
    const port = await closedPort();
    const file = join(dir, 'demo.mcap');
    const r = teleop(port, file);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/TRANSPORT_OPEN.*so101-leader/);
    expect(r.stderr).not.toMatch(/still kept the process alive/);
    expect(existsSync(file)).toBe(false);
    // A file that was there (an earlier take) is left as it was.
    const old = join(dir, 'take1.mcap');
    writeFileSync(old, 'an earlier recording');
    const r2 = teleop(port, old);
    expect(r2.status, r2.stderr).toBe(2);
    expect(readFileSync(old, 'utf8')).toBe('an earlier recording');
  }, 150_000);
});

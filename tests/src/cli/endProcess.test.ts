/**
 * A finished command ends the process even when something it opened keeps the event loop alive
 * (CI left `axon bridge --duration 1.5` idle for 35 minutes so): src/cli/main.ts endProcess, which
 * bin/axon.js calls with main()'s exit code.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

function run(script: string) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stderr: r.stderr, ms: Date.now() - t0 };
}

describe('endProcess', () => {
  it('exits with the command\'s code after the grace period when a leaked handle keeps the loop alive, and names the leak', () => {
    // A leaked interval stands for a worker thread or socket a shutdown missed: without endProcess this runs until the timeout.
    const r = run("const { endProcess } = await import('./src/cli/main.ts'); setInterval(() => {}, 1000); endProcess(3, 300);");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('kept the process alive');
    expect(r.ms).toBeLessThan(15_000);
  });

  it('does not hold a process that ends by itself, nor print anything', () => {
    const r = run("const { endProcess } = await import('./src/cli/main.ts'); setTimeout(() => {}, 50); endProcess(0, 10_000);");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.ms).toBeLessThan(8_000);
  });
});

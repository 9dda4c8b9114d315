import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

const CLI = ['--import', 'tsx', 'tests/hardware/helpers/cli.ts'];

describe('axon hw set-id --protocol dynamixel on the emulator', () => {
  it('gives the one servo a new id, verified by a ping and a read back at the new id', () => {
    const r = spawnSync(process.execPath, [...CLI, 'hw', 'set-id', '--protocol', 'dynamixel', '--port', 'emu://1', '--to', '5', '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(s).toMatchObject({ command: 'hw set-id', protocol: 'dynamixel', from: { id: 1 }, to: { id: 5 } });
    expect(s.verified).toEqual(['ping id 5: answered', 'ID register (7) reads 5']);
  });
});

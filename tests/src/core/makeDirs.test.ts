import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from '../../../src/core/makeDirs.ts';

describe('makeDirs (mkdir -p that always ends)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-makedirs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the missing folders, outermost first, and nothing when all exist', () => {
    const deep = join(dir, 'a', 'b', 'c');
    expect(makeDirs(deep)).toEqual([join(dir, 'a'), join(dir, 'a', 'b'), deep]);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(makeDirs(deep)).toEqual([]);
  });

  it('under /proc (where Node 20\'s recursive mkdir loops for ever) fails at once with MAKE_DIR naming the folder', () => {
    // Only meaningful where /proc is procfs (Linux); elsewhere the folder may well be made.
    if (!existsSync('/proc/self')) return;
    expect(() => makeDirs('/proc/axon-no-such/deeper')).toThrow(expect.objectContaining({ code: 'MAKE_DIR', where: '/proc/axon-no-such' }));
    expect(() => makeDirs('/proc/axon-no-such/deeper')).toThrow(/cannot be made \(ENOENT\) on the way to \/proc\/axon-no-such\/deeper/);
  });

  it('a file in the way is MAKE_DIR too', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => makeDirs(join(file, 'sub'))).toThrow(expect.objectContaining({ code: 'MAKE_DIR', where: join(file, 'sub') }));
  });
});

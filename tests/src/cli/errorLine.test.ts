import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorLine, ERROR_LINE_MAX_BINARY } from '../../../src/core/printable.ts';
import { runAxon } from '../../helpers/cli.ts';

/** Binary input quoted in an error went to stderr raw: an 18 KB "line" for a PNG, NULs and newlines included. */
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);

/** A PNG-like file: its real signature and header, then 18 KB of bytes with every control character. */
function png(): string {
  const f = join(mkdtempSync(join(tmpdir(), 'axon-png-')), 'pic.png');
  const body = Buffer.alloc(18_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 37) % 256;
  writeFileSync(f, Buffer.concat([PNG_HEAD, body]));
  return f;
}

describe('errorLine', () => {
  it('escapes control characters and cuts a message quoting binary input', () => {
    const raw = `x.json: not valid JSON: Unexpected token, "${PNG_HEAD.toString('latin1')}${'\u0000\u001b[2J'.repeat(5000)}" is not valid JSON`;
    const line = errorLine(raw);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line.length).toBeLessThan(ERROR_LINE_MAX_BINARY + 40);
    expect(line).toMatch(/^x\.json: not valid JSON/);
    expect(line).toMatch(/more characters cut\)$/);
  });

  it('leaves an ordinary message as it is, the newlines of a list of differences and its length too', () => {
    const m = '--fault: mass:3@0.1: robot humanoid has no such link (expected a robot with a "pole" link)';
    expect(errorLine(m)).toBe(m);
    const list = `model "arm6-pose" does not fit robot "so101-follower" (40 differences):${'\n  manifest.json#/joints/2: model elbow | robot no such joint'.repeat(40)}`;
    expect(errorLine(list)).toBe(list);
  });
});

describe('the CLI prints one short printable line for a binary file', () => {
  it.each([
    ['run --config', ['run', '--config', '@', '--policy', 'models/arm6-pose', '--port', 'emu://']],
    ['eval merge', ['eval', 'merge', '@']],
  ])('%s PNG', (_, args) => {
    const f = png();
    const r = runAxon(args.map((a) => (a === '@' ? f : a)), 60_000);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('pic.png');
    expect(lines[0]).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/);
    expect(lines[0].length).toBeLessThan(1000);
  });
});

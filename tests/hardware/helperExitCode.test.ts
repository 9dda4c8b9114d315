/**
 * The hardware tests' CLI helper (helpers/cli.ts) exits as bin/axon.js does: a run held at its end
 * in its supervisor's own safe stop is exit 5 (src/cli/exitCodes.ts), never 0 (review R15 F7: the
 * helper overwrote the command's exit code with its own 0, so no hardware test could see exit 5).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeConstantPoseModel } from './helpers/armModel.ts';
import { runAxon } from './helpers/spawnCli.ts';

describe('tests/hardware/helpers/cli.ts', () => {
  it('a run the supervisor safe-stopped (a policy whose every command is absurd, 2e11 rad) exits 5, ended_by safe_stop', () => {
    const policy = writeConstantPoseModel([2, 0.1, 0.2, 0, 0, 0]);
    // scale 1e11: the first joint's command, 2e11, is beyond the supervisor's bad value (1e10): rejected every tick
    const file = join(policy, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...m, action: { ...m.action, scale: 1e11 } }));
    const r = runAxon(['run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', policy, '--port', 'emu://', '--duration', '0.5', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(5);
    const s = JSON.parse(r.last);
    expect(s.ended_by).toBe('safe_stop');
    expect(s.safety.state).toBe('safe-stop');
    expect(s.safety.events.non_finite).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toContain('the run ended held in a safe stop the supervisor latched');
  });
});

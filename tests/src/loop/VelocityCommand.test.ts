import { describe, expect, it } from 'vitest';
import { DEFAULT_COMMAND_RANGES, VelocityCommand, hasVelocityTerm, parseVelocityCommand } from '../../../src/loop/VelocityCommand.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { UsageError } from '../../../src/core/errors.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { main } from '../../../src/cli/main.ts';
import { velocityManifest, VX_AT } from '../../helpers/velocityPolicy.ts';

describe('VelocityCommand', () => {
  it("clamps each axis to the manifest's command_ranges and says when it did", () => {
    const c = VelocityCommand.forManifest({ command_ranges: { lin_vel_x: [-0.5, 1.5], lin_vel_y: [-0.25, 0.25], ang_vel_z: [-2, 2] } });
    expect(c.set(1, 0.1, -1)).toEqual({ ok: true, clamped: false });
    expect(Array.from(c.value)).toEqual([1, 0.1, -1]);
    expect(c.set(3, -1, 5)).toEqual({ ok: true, clamped: true });
    expect(Array.from(c.value)).toEqual([1.5, -0.25, 2]);
    expect(c.ranges()).toEqual([[-0.5, 1.5], [-0.25, 0.25], [-2, 2]]);
    expect(c.fromManifest).toEqual([true, true, true]);
  });

  it('uses ±1 m/s, ±1 m/s, ±1 rad/s for axes the manifest does not bound', () => {
    expect(DEFAULT_COMMAND_RANGES).toEqual({ lin_vel_x: [-1, 1], lin_vel_y: [-1, 1], ang_vel_z: [-1, 1] });
    const c = VelocityCommand.forManifest({ command_ranges: { lin_vel_x: [0, 2] } });
    c.set(2, 3, -3);
    expect(Array.from(c.value)).toEqual([2, 1, -1]);
    expect(c.fromManifest).toEqual([true, false, false]);
    expect(c.describeRanges()).toBe('vx [0, 2] m/s, vy [-1, 1] m/s (default), wz [-1, 1] rad/s (default)');
    const none = VelocityCommand.forManifest({});
    none.set(-4, 0, 0);
    expect(none.value[0]).toBe(-1);
  });

  it('always allows zero, even on a range that excludes it, so that stop is never clamped into walking', () => {
    // a curriculum's start range as an Isaac Lab env.yaml may hold it
    const c = VelocityCommand.forManifest({ command_ranges: { lin_vel_x: [0.3, 0.5], ang_vel_z: [-1, -0.2] } });
    c.set(0.4, 0, -0.5);
    c.zero();
    expect(Array.from(c.value)).toEqual([0, 0, 0]);
    expect(c.set(0, 0, 0)).toEqual({ ok: true, clamped: false });
    // anything else in the gap is clamped into the trained range, with the clamp reported
    expect(c.set(0.1, 0, 1)).toEqual({ ok: true, clamped: true });
    expect(Array.from(c.value)).toEqual([0.3, 0, -0.2]);
    expect(c.describeRanges()).toBe('vx [0.3, 0.5] m/s (and 0: stopping is always allowed), vy [-1, 1] m/s (default), wz [-1, -0.2] rad/s (and 0: stopping is always allowed)');
  });

  it('refuses a non-finite command as a whole and keeps the previous one', () => {
    const c = new VelocityCommand();
    c.set(0.5, 0, 0.2);
    const v0 = c.version;
    for (const bad of [NaN, Infinity, -Infinity, 1e11]) {
      const r = c.set(0.1, bad, 0);
      expect(r.ok).toBe(false);
      expect(Array.from(c.value)).toEqual([0.5, 0, 0.2]);
    }
    expect(c.version).toBe(v0);
  });

  it('starts at zero, or at the initial value clamped, with a note naming the range', () => {
    const m = { command_ranges: { lin_vel_x: [-0.5, 1.5] as [number, number] } };
    expect(Array.from(VelocityCommand.forManifest(m).value)).toEqual([0, 0, 0]);
    const c = VelocityCommand.forManifest(m, [2, 0, 0.5]);
    expect(Array.from(c.value)).toEqual([1.5, 0, 0.5]);
    expect(c.clampNote([2, 0, 0.5])).toBe("--command 2,0,0.5 is outside vx [-0.5, 1.5] m/s (the manifest's command_ranges): clamped to 1.5,0,0.5");
    expect(VelocityCommand.forManifest(m, [1, 0, 0]).clampNote([1, 0, 0])).toBeUndefined();
    expect(VelocityCommand.forManifest({}, [0, 0, 3]).clampNote([0, 0, 3])).toContain('wz [-1, 1] rad/s (default clamp');
  });

  it("feeds the observation builder's velocity_commands term on every build and latches what the tick used", () => {
    const robot = createSimRobot('cartpole', { physicsDt: 0.002 });
    const m = velocityManifest();
    expect(hasVelocityTerm(m)).toBe(true);
    const b = new ObservationBuilder(m, robot.spec);
    const c = new VelocityCommand();
    expect(c.feed(b)).toBe(b);
    const obs = robot.observe();
    const last = new Float32Array(1);
    expect(Array.from(b.build(obs, last).subarray(VX_AT, VX_AT + 3))).toEqual([0, 0, 0]);
    c.set(0.5, -0.25, 0.75);
    expect(Array.from(c.applied)).toEqual([0, 0, 0]); // not until the next tick
    expect(Array.from(b.build(obs, last).subarray(VX_AT, VX_AT + 3))).toEqual([0.5, -0.25, 0.75]);
    expect(Array.from(c.applied)).toEqual([0.5, -0.25, 0.75]);
    void robot.close();
  });

  it('parses vx,vy,wz and refuses anything but three finite numbers with a UsageError naming the flag', () => {
    expect(parseVelocityCommand('0.5,0,-0.2')).toEqual([0.5, 0, -0.2]);
    expect(parseVelocityCommand(' 1 , 2e-1 ,3 ')).toEqual([1, 0.2, 3]);
    for (const bad of ['', '1,2', '1,2,3,4', '1,,3', 'a,0,0', '1,NaN,0', '0,0,Infinity', '1e11,0,0']) {
      let err: unknown;
      try {
        parseVelocityCommand(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as UsageError).code).toBe('CLI_USAGE');
      expect((err as UsageError).message).toContain('--command');
      expect((err as UsageError).message).toContain('three finite numbers vx,vy,wz');
    }
  });

  it('axon sim --command with a bad value exits 2 naming the flag, before anything runs', async () => {
    const chunks: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stderr.write;
    try {
      const code = await main(['node', 'axon', 'sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--command', '1,x,0']);
      expect(code).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(chunks.join('')).toContain('axon: error [CLI_USAGE]: --command: "1,x,0": vy (m/s) is "x", not a finite number (expected three finite numbers vx,vy,wz');
  });
});

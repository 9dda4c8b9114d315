import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = ['--import', 'tsx', 'tests/hardware/helpers/cli.ts'];
const axon = (...args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', timeout: 90_000 });
const ARMS = ['--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-follower.json'];

describe('axon teleop between two emulated SO-101 buses', () => {
  it('the follower tracks a scripted leader (lag and error stated), the e-stop stops it, and the run is recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-teleop-'));
    const r = axon('teleop', ...ARMS, '--script-leader', '--hz', '100', '--duration', '4', '--estop-at', '3', '--record', join(dir, 'teleop.mcap'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(s).toMatchObject({ command: 'teleop', leader: 'so101-leader', follower: 'so101-follower', hz: 100, ended_by: 'duration', faults: [] });
    // Before the e-stop: the follower follows the leader within a few ticks and a few mrad at that lag.
    expect(s.tracking.lag_s).toBeLessThanOrEqual(0.1);
    expect(s.tracking.error_rad.p95).toBeLessThan(0.05); // a few mrad on an idle machine; host jitter on a loaded one
    expect(s.tracking.instant_error_rad.p95).toBeLessThan(0.2); // a 0.5 rad, 0.5 Hz sine: 1.6 rad/s × the lag
    // After it: the leader goes on moving, the follower holds.
    expect(s.after_estop.leader_motion_rad).toBeGreaterThan(0.3);
    expect(s.after_estop.follower_motion_rad).toBeLessThan(0.02);
    expect(s.safety.state).toBe('e-stopped');
    // One clock: the e-stop's time is the same in both places, on the loop clock, at or after --estop-at.
    expect(s.after_estop.estop_s).toBe(s.safety.stop.time_s);
    expect(s.after_estop.estop_s).toBeGreaterThanOrEqual(3);
    expect(s.bus.leader.writes).toBe(1); // the leader is only read, after one Torque Enable 0 at connect (read back)
    expect(statSync(join(dir, 'teleop.mcap')).size).toBeGreaterThan(1000);
  }, 150_000);

  it('refuses a leader without the follower\'s joints, and --script-leader on a real port, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-teleop-'));
    const leader = JSON.parse(readFileSync('hardware/robots/so101-leader.json', 'utf8'));
    leader.joints = leader.joints.filter((j: { name: string }) => j.name !== 'gripper');
    delete leader.calibration_pose.gripper;
    writeFileSync(join(dir, 'leader5.json'), JSON.stringify(leader));
    const r = axon('teleop', '--leader', join(dir, 'leader5.json'), '--follower', 'hardware/robots/so101-follower.json', '--script-leader', '--duration', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the leader has no joint gripper');
    const p = axon('teleop', ...ARMS, '--script-leader', '--leader-port', '/dev/ttyNOPE9', '--duration', '1');
    expect(p.status).toBe(2);
    expect(p.stderr).toContain('--script-leader');
    expect(existsSync(join(dir, 'none.mcap'))).toBe(false);
  }, 150_000);

  it('refuses --estop-at at or after --duration as a usage error (exit 2, one line), before either bus is touched', () => {
    const r = axon('teleop', ...ARMS, '--script-leader', '--duration', '1', '--estop-at', '5', '--json');
    expect(r.status).toBe(2); // was: exit 0 after 5 s, the process kept alive until the e-stop time
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/CLI_USAGE.*--estop-at: 5 s is not before the end of the run \(--duration 1 s\)/);
    expect(r.stdout).not.toContain('armed');
    expect(axon('teleop', ...ARMS, '--script-leader', '--duration', '1', '--estop-at', '1').status).toBe(2);
  }, 150_000);

  it('a run stopped by SIGTERM before its --estop-at exits then, not at the e-stop time', async () => {
    const child = spawn(process.execPath, [...CLI, 'teleop', ...ARMS, '--script-leader', '--duration', '30', '--estop-at', '25'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`teleop did not start: ${out}`)), 60_000);
        child.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
          if (/armed/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await new Promise((r) => setTimeout(r, 500));
      const t0 = performance.now();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(performance.now() - t0).toBeLessThan(8000);
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 150_000);

  it('refuses a leader without the follower\'s joints before either arm is connected: the follower is never armed', () => {
    const r = axon('teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/arm6-xm430.json', '--script-leader', '--duration', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--leader: the leader has no joint elbow, wrist_pitch');
    expect(r.stdout).not.toContain('armed'); // was: "[follower] armed: torque on" before the refusal
    expect(r.stdout).not.toContain('connected');
    expect(r.stderr).not.toContain('safe_stop');
  }, 150_000);

  it('refuses a follower config given as --leader and a leader config given as --follower (their role), exit 2 naming the flag and file', () => {
    const swap = axon('teleop', '--leader', 'hardware/robots/so101-follower.json', '--follower', 'hardware/robots/so101-leader.json', '--script-leader', '--duration', '1', '--json');
    expect(swap.status).toBe(2); // was: exit 0, "tracking error 0" with nothing armed
    expect(swap.stderr).toContain('--leader: hardware/robots/so101-follower.json is a follower config');
    const asFollower = axon('teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-leader.json', '--script-leader', '--duration', '1', '--json');
    expect(asFollower.status).toBe(2);
    expect(asFollower.stderr).toContain('--follower: hardware/robots/so101-leader.json is a leader config');
    expect(asFollower.stdout).toBe('');
  }, 150_000);
});

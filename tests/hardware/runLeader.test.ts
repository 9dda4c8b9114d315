/**
 * `axon run` refuses a leader config (role "leader": read only, torque off, every command ignored)
 * before the bus is touched, naming the role (exit 2); with --dry-run it reads the leader and writes
 * nothing (docs/feetech.md, "Leader-follower teleoperation").
 */
import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig } from '../../hardware/robots/openRobot.ts';
import { writePoseModel } from './helpers/poseModel.ts';
import { runAxon } from './helpers/spawnCli.ts';

const LEADER = 'hardware/robots/so101-leader.json';

describe('axon run with a leader config', () => {
  const config = loadAnyRobotConfig(LEADER).config;
  const policy = writePoseModel({ name: 'so101-leader-const', dirPrefix: 'axon-leader-const-', robot: config.name, joints: config.joints.map((j) => j.name) }, config.joints.map((j) => j.default_position ?? 0));

  it('is refused before connecting: exit 2 naming --config and role "leader"', () => {
    const r = runAxon(['run', '--config', LEADER, '--port', 'emu://', '--policy', policy, '--duration', '0.2', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--config');
    expect(r.stderr).toContain(`${LEADER} is a leader config (role "leader"`);
    expect(r.stderr).not.toContain('[hw] connected');
    expect(r.stdout).toBe('');
  });

  it('with --dry-run it is read and nothing is written', () => {
    const r = runAxon(['run', '--config', LEADER, '--port', 'emu://', '--policy', policy, '--duration', '0.2', '--dry-run', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.last);
    expect(s.dry_run).toBe(true);
    expect(s.bus.writes).toBe(0);
  });
});

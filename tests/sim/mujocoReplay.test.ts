import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoReplayRobot } from '../../sim/mujoco/mujocoView.ts';
import { Playback, readRecording, recordedSpec } from '../../src/record/index.ts';
import { writeMjcfShapes } from '../helpers/mjcfShapes.ts';
import { axon } from '../helpers/cli.ts';

/** Issue 20: a MuJoCo run recorded (--record) and replayed (axon replay, --view's playback). */


const dir = mkdtempSync(join(tmpdir(), 'axon-mjreplay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('axon replay of a MuJoCo recording', () => {
  it('axon sim --physics mujoco --record, then axon replay: the engine is named, the ticks and return are the run\'s', () => {
    const file = join(dir, 'cartpole.mcap');
    const sim = axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--physics', 'mujoco', '--record', file, '--duration', '1', '--fast', '--json');
    expect(sim.code, sim.stderr).toBe(0);
    const s = JSON.parse(sim.lastLine);
    const rep = axon('replay', file, '--json');
    expect(rep.code, rep.stderr).toBe(0);
    const r = JSON.parse(rep.lastLine);
    expect(r).toMatchObject({ command: 'replay', robot: 'cartpole', physics: 'mujoco', ticks: s.ticks, gaps: 0, truncated: false });
    expect(r.episode.return).toBe(s.episode.return);
    const human = axon('replay', file);
    expect(human.stdout.split('\n')[0]).toContain('cartpole (MuJoCo) under cartpole-balance');
    // A cannon-es run says so too.
    const cannonFile = join(dir, 'cannon.mcap');
    expect(axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--record', cannonFile, '--duration', '0.2', '--fast').code).toBe(0);
    expect(JSON.parse(axon('replay', cannonFile, '--json').lastLine).physics).toBe('cannon');
  });

  it('an --mjcf run played back: the MJCF is posed in MuJoCo at every recorded tick (base and joints as recorded)', async () => {
    const { file: mjcf } = writeMjcfShapes(dir);
    const file = join(dir, 'shapes.mcap');
    const sim = axon('sim', '--mjcf', mjcf, '--record', file, '--duration', '0.6', '--fast', '--json');
    expect(sim.code, sim.stderr).toBe(0);
    const rec = await readRecording(file);
    expect(rec.run).toMatchObject({ physics: 'mujoco', mjcf });
    const robot = await createMujocoReplayRobot(mjcf, recordedSpec(rec));
    const playback = new Playback(rec, robot.spec, robot, { speed: 1000 });
    const pos = new Float64Array(3), quat = new Float64Array(4);
    const seen: number[] = [];
    let worst = 0;
    playback.records$.subscribe((r) => {
      seen.push(r.seq);
      const b = r.observation.base!;
      robot.linkPose('base', pos, quat);
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(pos[k] - b.position[k]));
      // Quaternions up to sign.
      const dot = Math.abs(quat[0] * b.orientation[0] + quat[1] * b.orientation[1] + quat[2] * b.orientation[2] + quat[3] * b.orientation[3]);
      worst = Math.max(worst, 1 - dot);
    });
    expect(await playback.run()).toBe(rec.ticks.length);
    expect(seen).toEqual(rec.ticks.map((t) => t.seq));
    expect(worst).toBeLessThan(1e-6); // float32 in the recording
    // The tip is where the recorded hinge angle puts it: 0.2 m along the arm, turned about y.
    const last = rec.ticks.at(-1)!;
    robot.showPose(last.observation.jointPosition, last.observation.base!.position, last.observation.base!.orientation);
    const arm = new Float64Array(3), tip = new Float64Array(3);
    robot.linkPose('arm', arm, quat);
    robot.linkPose('tip', tip, quat);
    expect(Math.hypot(tip[0] - arm[0], tip[1] - arm[1], tip[2] - arm[2])).toBeCloseTo(0.2, 6);
    await robot.close();
  });

  it('a changed model file is refused by name (REPLAY_MODEL), not drawn wrong', async () => {
    const { file: mjcf } = writeMjcfShapes(dir);
    const rec = await readRecording(join(dir, 'cartpole.mcap'));
    await expect(createMujocoReplayRobot(mjcf, recordedSpec(rec))).rejects.toMatchObject({ code: 'REPLAY_MODEL' });
  });
});

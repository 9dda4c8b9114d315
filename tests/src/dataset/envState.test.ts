/**
 * `axon export lerobot --env-state` (review R28 F2): LeRobot's ACT and Diffusion refuse a dataset
 * with neither an image nor `observation.environment_state` ("You must provide at least one image
 * or the environment state among the inputs."), and every LeRobot policy reads only
 * `observation.state` among its STATE inputs, so a humanoid's `observation.imu` is never seen.
 * --env-state also writes the robot's non-joint observations (the IMU, then the velocity command)
 * as `observation.environment_state`, the one key LeRobot's `dataset_to_policy_features` types ENV.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';
import { EpisodeBuffer } from '../../../src/dataset/EpisodeBuffer.ts';
import { IMU_NAMES, VELOCITY_COMMAND_NAMES, runFeatures } from '../../../src/dataset/format.ts';
import { recordRun } from '../record/recordRun.ts';
import { runAxon } from '../../helpers/cli.ts';
import { readTable, column } from './independentReader.ts';

const info = (dir: string) => JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));

/**
 * LeRobot's dataset_to_policy_features (ENV for observation.environment_state, STATE for any other
 * observation.*) and ACT's / Diffusion's validate_features (an image or the ENV feature).
 */
function lerobotActAccepts(features: Record<string, { dtype: string }>): boolean {
  return Object.entries(features).some(([k, f]) => f.dtype === 'image' || f.dtype === 'video' || k === 'observation.environment_state');
}

describe('export lerobot --env-state: the IMU (and velocity command) as observation.environment_state', () => {
  it('a humanoid recording: observation.environment_state equals observation.imu frame by frame; without the flag ACT would refuse the dataset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-envstate-'));
    const rec = join(dir, 'hum.mcap');
    const r = runAxon(['sim', '--robot', 'humanoid', '--policy', 'models/humanoid-balance', '--duration', '0.2', '--fast', '--record', rec], 120_000);
    expect(r.code, r.stderr).toBe(0);

    const plain = join(dir, 'plain');
    await exportLerobot([rec], { out: plain });
    expect(info(plain).features['observation.environment_state']).toBeUndefined();
    expect(lerobotActAccepts(info(plain).features)).toBe(false);

    // Through the CLI, as a user runs it.
    const out = join(dir, 'env');
    const e = runAxon(['export', 'lerobot', rec, '--out', out, '--env-state', '--json'], 120_000);
    expect(e.code, e.stderr).toBe(0);
    const f = info(out).features;
    expect(f['observation.environment_state']).toEqual({ dtype: 'float32', shape: [10], names: IMU_NAMES });
    expect(f['observation.imu']).toBeDefined();
    expect(lerobotActAccepts(f)).toBe(true);
    const data = readTable(join(out, 'data/chunk-000/file-000.parquet'));
    const env = column(data, 'observation.environment_state') as number[][];
    const imu = column(data, 'observation.imu') as number[][];
    expect(env.length).toBeGreaterThan(5);
    expect(env).toEqual(imu);
    // Its stats are there as for every feature.
    expect(JSON.parse(readFileSync(join(out, 'meta/stats.json'), 'utf8'))['observation.environment_state'].count).toEqual([env.length]);

    // A dataset written without it is another feature set: an append with --env-state is refused, naming it.
    await expect(exportLerobot([rec], { out: plain, envState: true })).rejects.toMatchObject({ code: 'DATASET_MISMATCH', message: expect.stringContaining('"observation.environment_state" is missing in the dataset') });
  });

  it('a recording with no IMU and no velocity command is EXPORT_INPUT naming the file and --env-state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-envstate-'));
    const rec = join(dir, 'cp.mcap');
    await recordRun(rec, 0.2);
    await expect(exportLerobot([rec], { out: join(dir, 'ds'), envState: true })).rejects.toMatchObject({ code: 'EXPORT_INPUT', where: rec, message: expect.stringContaining('--env-state') });
  });

  it('with an IMU and a velocity command, each frame holds the IMU then the command', () => {
    const src = { joints: ['a'], imu: true, task: false, velocityCommand: true, envState: true };
    expect(runFeatures(src)['observation.environment_state']).toEqual({ dtype: 'float32', shape: [13], names: [...IMU_NAMES, ...VELOCITY_COMMAND_NAMES] });
    const b = new EpisodeBuffer(src);
    for (let k = 0; k < 3; k++)
      b.push({
        position: [k],
        velocity: [0],
        imu: { orientation: [k, 1, 2, 3], angularVelocity: [4, 5, 6], linearAcceleration: [7, 8, 9] },
        velocityCommand: [10 + k, 11, 12],
        action: [0],
        episodeReturn: 0,
        held: false,
      });
    const env = b.take({ task: 't' }).columns['observation.environment_state'];
    expect(Array.from(env)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 11, 12, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 11, 12]);
  });
});

/**
 * No silent zeros: a model that reads a term the robot cannot provide (base_lin_vel without a
 * base-velocity estimate, IMU terms without an IMU) is refused by the pre-arm check, naming the
 * term, with the robot never commanded: on the emulated Dynamixel arm through `axon run`, and on
 * a robot served over the bridge without base state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBridgeRobot, type BridgeServer } from '../../hardware/bridge/index.ts';
import { runLive } from '../../src/cli/live.ts';
import { createSimRobot } from '../../sim/index.ts';
import { writeConstantPoseModel } from './helpers/armModel.ts';
import { startServer } from './bridge/helpers.ts';

const CLI = ['--import', 'tsx', 'tests/hardware/helpers/cli.ts'];
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** Rewrites a model folder's observation terms (the refusal comes before the ONNX file is read). */
function withTerms(dir: string, terms: string[]): string {
  const file = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  m.observation = { terms: terms.map((term) => ({ term })) };
  writeFileSync(file, JSON.stringify(m, null, 2));
  return dir;
}

describe('the pre-arm check refuses terms the robot cannot provide', () => {
  it('axon run on the emulated arm: base_lin_vel and projected_gravity are named, exit 2, the arm never armed', () => {
    const policy = withTerms(writeConstantPoseModel([0, 0, 0, 0, 0, 0]), ['joint_pos', 'base_lin_vel', 'projected_gravity']);
    const r = spawnSync(process.execPath, [...CLI, 'run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', policy, '--port', 'emu://', '--duration', '1'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('does not fit robot "arm6-xm430" (2 differences)');
    expect(r.stderr).toContain('manifest.json#/observation/terms/1: model base_lin_vel | robot no base-velocity estimate (sensors.baseVelocity): the term would read zeros');
    expect(r.stderr).toContain('manifest.json#/observation/terms/2: model projected_gravity | robot no IMU');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toContain('armed');
  });

  it('a bridged robot served without base state: runLive refuses base_lin_vel before any command and closes the link', async () => {
    const server: BridgeServer = await startServer({ robot: createSimRobot('cartpole'), sendBase: false });
    open.push(server);
    const robot = await connectBridgeRobot(server.url, { token: 'secret-token' });
    open.push(robot);
    const dir = mkdtempSync(join(tmpdir(), 'axon-prearm-'));
    cpSync('models/cartpole-balance', dir, { recursive: true });
    withTerms(dir, ['joint_pos', 'joint_vel', 'base_lin_vel']);
    await expect(runLive(robot, { policy: dir, durationS: 1, handleSignals: false })).rejects.toThrow(/#\/observation\/terms\/2: model base_lin_vel \| robot no base-velocity estimate/);
    expect(robot.counts.commandsSent).toBe(0);
    expect(robot.health$.value.connected).toBe(false); // closed by the refusal: nothing holds the process open
  });
});

/**
 * Velocity mode on a servo bus (review F2): a Dynamixel in velocity mode closes its own velocity
 * loop (only Goal Velocity is written, axon's kd is never sent), so a config without kd runs; a
 * robot whose velocity loop is kd·(target − q̇) with kd 0 is still refused, and refused before
 * connect(), so the servos never get torque (docs/hardware.md: "before the bus is touched").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Robot, RobotSpec } from '../../src/core/robot.ts';
import { AxonError } from '../../src/core/errors.ts';
import { runLive } from '../../src/cli/live.ts';
import { loadAnyRobotConfig, openConfiguredRobot } from '../../hardware/robots/openRobot.ts';
import type { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';
import { linearPolicy } from '../helpers/onnxFixtures.ts';

const CLI = ['--import', 'tsx', 'tests/hardware/helpers/cli.ts'];
const JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll', 'gripper'];
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/**
 * arm6-xm430.json in velocity mode, as a user would write it: no kp/kd anywhere, the joints listed
 * in another order than the policy's (the policy maps by name), ids unchanged.
 */
function velocityConfig(): string {
  const c = JSON.parse(readFileSync('hardware/robots/arm6-xm430.json', 'utf8'));
  c.operating_mode = 'velocity';
  for (const j of c.joints) {
    delete j.kp;
    delete j.kd;
  }
  c.joints = [c.joints[3], c.joints[0], c.joints[5], c.joints[1], c.joints[4], c.joints[2]];
  delete c.urdf;
  const dir = mkdtempSync(join(tmpdir(), 'axon-velmode-'));
  const file = join(dir, 'arm6-velocity.json');
  writeFileSync(file, JSON.stringify(c, null, 1));
  return file;
}

/** A joint_velocity policy with no `pd`: v = −0.2·q, back towards zero. */
function velocityPolicy(): string {
  const m = {
    schema: 'axon.model/1',
    name: 'arm6-velocity-test',
    kind: 'policy',
    robot: 'arm6',
    joints: JOINTS,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }] },
    action: { type: 'joint_velocity', scale: 0.2, clip: 1 },
  } as unknown as ModelManifest;
  const w = new Float32Array(6 * 12);
  for (let i = 0; i < 6; i++) w[i * 12 + i] = -1;
  return linearPolicy(m, 12, 6, w, new Float32Array(6));
}

describe('velocity mode on a servo bus', () => {
  it('axon run: a Dynamixel velocity-mode config without kd runs on emu:// (the servo closes its own loop), and its close says goal velocity 0', () => {
    const args = [...CLI, 'run', '--config', velocityConfig(), '--policy', velocityPolicy(), '--port', 'emu://', '--duration', '0.5'];
    const json = spawnSync(process.execPath, [...args, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(json.stderr).not.toContain('SAFETY_VELOCITY_GAIN');
    expect(json.status).toBe(0);
    const out = JSON.parse(json.stdout.slice(json.stdout.indexOf('{"command"'))) as { ended_by: string; ticks: number; safety: { state: string } };
    expect(out.ended_by).toBe('duration');
    expect(out.ticks).toBeLessThanOrEqual(25); // --duration is wall time on the loop clock: a loaded host's skipped slots are fewer ticks, never a longer run (review R15 F12)
    expect(out.ticks).toBeGreaterThan(0);
    expect(out.safety.state).toBe('running');
    // The hardware lines (not in --json): the close stops the servos with goal velocity 0.
    const text = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
    expect(text.status).toBe(0);
    expect(text.stdout + text.stderr).toContain('goal velocity 0, torque on');
    expect(text.stdout + text.stderr).not.toContain('goal = present position');
  }, 60_000);

  it('a robot whose velocity loop needs kd (spec without ownVelocityLoop) is refused with SAFETY_VELOCITY_GAIN before connect: no servo ever had torque', async () => {
    const loaded = loadAnyRobotConfig(velocityConfig());
    const { robot, port } = openConfiguredRobot(loaded, 'emu://', loaded.config.baud, { period: 0.02 });
    const emulator = (port as { emulator: DynamixelEmulator }).emulator;
    expect(robot.spec.joints.every((j) => j.ownVelocityLoop === true)).toBe(true);
    // The same bus robot, told that its velocity loop is axon's kd (as a simulator's or a bridge's).
    const spec: RobotSpec = { ...robot.spec, joints: robot.spec.joints.map(({ ownVelocityLoop: _, ...j }) => j) };
    const calls: string[] = [];
    const kdLoop = new Proxy(robot, {
      get(t, k) {
        if (k === 'spec') return spec;
        const v = Reflect.get(t, k, t) as unknown;
        if (typeof v !== 'function') return v;
        return (...a: unknown[]) => {
          calls.push(String(k));
          return (v as (...x: unknown[]) => unknown).apply(t, a);
        };
      },
    }) as Robot;
    open.push(robot);
    const err = await runLive(kdLoop, { policy: velocityPolicy(), durationS: 0.5, handleSignals: false, clock: 'timer' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).code).toBe('SAFETY_VELOCITY_GAIN');
    expect((err as AxonError).message).toContain('shoulder_pan (kd 0)');
    expect(calls).not.toContain('connect');
    expect(calls).toContain('close');
    for (const id of [1, 2, 3, 4, 5, 6]) expect(emulator.servo(id)!.torqueOn).toBe(false);
  }, 60_000);
});

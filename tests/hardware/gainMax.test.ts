/**
 * Gain bounds (JointSpec.kpMax / kdMax, review F3) have sources: a bus config's `kp_max` /
 * `kd_max` (per joint, or robot-wide), the bridge hello's robot spec, and a simulated robot's
 * effort-saturation bound (src/safety/gainBounds.ts). The bridge server, the safety authority for
 * a served robot, clamps a client's absurd gains to them with a `gain_clamp` event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBridgeRobot, type BridgeServer } from '../../hardware/bridge/index.ts';
import { specFromWire, specToWire } from '../../hardware/bridge/messages.ts';
import { loadAnyRobotConfig, openConfiguredRobot } from '../../hardware/robots/openRobot.ts';
import { AxonError } from '../../src/core/errors.ts';
import { createCommand } from '../../src/core/robot.ts';
import { createSimRobot } from '../../sim/index.ts';
import { startServer, waitUntil } from './bridge/helpers.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** arm6-xm430.json edited by `edit` (a user's hand edit), written to a fresh folder. */
function editedConfig(edit: (c: Record<string, any>) => void): string {
  const c = JSON.parse(readFileSync('hardware/robots/arm6-xm430.json', 'utf8'));
  edit(c);
  const file = join(mkdtempSync(join(tmpdir(), 'axon-gainmax-')), 'arm.json');
  writeFileSync(file, JSON.stringify(c, null, 1));
  return file;
}

function configError(file: string): AxonError {
  try {
    loadAnyRobotConfig(file);
  } catch (e) {
    return e as AxonError;
  }
  throw new Error('the config was accepted');
}

describe('gain bounds from a bus config', () => {
  it('per joint kp_max / kd_max over the robot-wide default reach the spec', () => {
    const file = editedConfig((c) => {
      c.kp_max = 40;
      c.kd_max = 2;
      c.joints[2].kp_max = 22.5;
    });
    const loaded = loadAnyRobotConfig(file);
    const { robot } = openConfiguredRobot(loaded, 'emu://', loaded.config.baud, { period: 0.02 });
    open.push(robot);
    const j = robot.spec.joints;
    expect(j.map((x) => x.kpMax)).toEqual([40, 40, 22.5, 40, 40, 40]);
    expect(j.map((x) => x.kdMax)).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('a negative or non-numeric kp_max / kd_max is refused naming the field', () => {
    let e = configError(editedConfig((c) => (c.joints[3].kp_max = -5)));
    expect(e.code).toBe('ROBOT_CONFIG');
    expect(e.message).toContain('#/joints/3/kp_max');
    e = configError(editedConfig((c) => (c.kd_max = '10')));
    expect(e.code).toBe('ROBOT_CONFIG');
    expect(e.message).toContain('#/kd_max');
    e = configError(editedConfig((c) => (c.joints[0].kd_max = null)));
    expect(e.message).toContain('#/joints/0/kd_max');
  });

  it('a default kp above its kp_max (the joint\'s or the robot\'s) is refused at load, naming kp', () => {
    const e = configError(editedConfig((c) => {
      c.kp_max = 25;
      c.joints[1].kp = 30;
    }));
    expect(e.code).toBe('ROBOT_CONFIG');
    expect(e.message).toContain('#/joints/1/kp');
    expect(e.message).toContain('kp 30 is above kp_max 25');
  });
});

describe('gain bounds on the bridge', () => {
  it('the hello carries kpMax / kdMax / ownVelocityLoop, absent ones stay absent, bad ones are refused naming the field', () => {
    const spec = createSimRobot('pendulum').spec;
    const wire = specToWire(spec);
    expect(specFromWire(JSON.parse(JSON.stringify(wire))).joints[0].kpMax).toBe(spec.joints[0].kpMax);
    const older = JSON.parse(JSON.stringify(wire));
    delete older.joints[0].kpMax;
    delete older.joints[0].kdMax;
    const j = specFromWire(older).joints[0];
    expect(j.kpMax).toBeUndefined();
    expect(j.ownVelocityLoop).toBeUndefined();
    const bad = JSON.parse(JSON.stringify(wire));
    bad.joints[0].kpMax = -1;
    expect(() => specFromWire(bad)).toThrow(/hello\.robot\.joints\[0\]\.kpMax/);
    bad.joints[0].kpMax = 5;
    bad.joints[0].ownVelocityLoop = 'yes';
    expect(() => specFromWire(bad)).toThrow(/hello\.robot\.joints\[0\]\.ownVelocityLoop/);
  });

  it('the server clamps a client\'s kp 1e9 / kd 1e8 to the served robot\'s bounds, with gain_clamp events', async () => {
    const robot = createSimRobot('pendulum', { physicsDt: 0.002, seed: 1 });
    const { kpMax, kdMax } = robot.spec.joints[0];
    expect(kpMax).toBeGreaterThan(0);
    expect(kpMax).toBeLessThan(1e6);
    expect(kdMax).toBeGreaterThan(0);
    expect(kdMax).toBeLessThan(1e6);
    const server: BridgeServer = await startServer({ robot });
    open.push(server);
    const client = await connectBridgeRobot(server.url, { token: 'secret-token' });
    open.push(client);
    expect(client.spec.joints[0].kpMax).toBe(kpMax); // carried in the hello
    const cmd = createCommand(client.spec, 'position');
    cmd.kp!.fill(1e9);
    cmd.kd!.fill(1e8);
    cmd.target.fill(Math.PI);
    for (let i = 0; i < 10; i++) {
      client.command(cmd);
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitUntil(() => (server.safety.counts.gain_clamp ?? 0) >= 2, 'gain_clamp events');
    expect(server.lastSent.kp![0]).toBe(kpMax);
    expect(server.lastSent.kd![0]).toBe(kdMax);
  });
});

/**
 * Names from outside (a served robot's joints in the bridge hello, a user's URDF) printed in a
 * MODEL_ROBOT_MISMATCH message are made printable (src/core/printable.ts): a joint called
 * "slider<ESC>[2J" must not clear the operator's terminal, nor one ending in a bare CR rewrite the
 * line, yet the message still names it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot } from '../../../hardware/bridge/BridgeRobot.ts';
import { openServedRobot } from '../../../src/cli/bridgeRobot.ts';
import { urdfSetup } from '../../../src/cli/urdfSession.ts';
import { mapJoints } from '../../../src/model/jointMap.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { openSession } from '../../../src/session/Session.ts';
import { startServer } from './helpers.ts';
import { namedCartUrdf } from '../../helpers/namedCart.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-unprintable-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A cartpole-like URDF whose joints carry terminal controls: ESC [2J (clears the screen) and a line
 * break (XML reads a CR in an attribute as a LF).
 */
const SLIDER = 'slider\u001b[2J';
const HINGE = 'hinge\rpole';
const file = join(dir, 'cart.urdf');
writeFileSync(
  file,
  namedCartUrdf(SLIDER, HINGE),
);

/** Any character a terminal acts on, the message's own line breaks apart. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const cartpole = 'models/cartpole-balance';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('MODEL_ROBOT_MISMATCH prints outside names escaped', () => {
  it('a URDF whose joints carry ESC [2J and a CR, under a manifest naming others: named as \\u escapes, no raw control byte', () => {
    const m = loadModelFolder(cartpole).manifest;
    let err: (Error & { code?: string }) | undefined;
    try {
      urdfSetup({ file, packagePaths: [], strict: false, fixedBase: true }, m, 1 / 200, `${cartpole}/manifest.json`);
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('MODEL_ROBOT_MISMATCH');
    expect(err!.message).not.toMatch(CONTROL);
    expect(err!.message).toContain('slider\\u001b[2J');
    expect(err!.message).toContain('hinge\\u000apole');
  });

  it('a served robot with those joints, a client under a manifest that does not fit: the refusal names them escaped', async () => {
    const served = await openServedRobot({ urdf: file, fixedBase: true, urdfPackagePath: [], strict: false, physics: 'cannon', seed: 1, randomize: false }, 0.002);
    open.push(served.robot);
    // What another server may send: a bare CR (which returns the cursor and overwrites the line) in a joint name.
    const spec = served.robot.spec;
    Object.defineProperty(served.robot, 'spec', { value: { ...spec, joints: spec.joints.map((j) => (j.name === 'hinge\npole' ? { ...j, name: HINGE } : j)) } });
    const s = await startServer({ robot: served.robot });
    open.push(s);
    const robot = await connectBridgeRobot(s.url, { token: 'secret-token', reconnect: false });
    open.push(robot);
    // The names crossed the wire as they are.
    expect(robot.spec.joints.map((j) => j.name)).toEqual([SLIDER, HINGE]);
    const err = await openSession(robot, { policy: cartpole }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('MODEL_ROBOT_MISMATCH');
    expect(err!.message).not.toMatch(CONTROL);
    expect(err!.message).toContain('slider\\u001b[2J');
    expect(err!.message).toContain('hinge\\u000dpole');
  });

  it('mapJoints (the observation and action wiring) names the robot\'s joints escaped too', () => {
    const joint = { type: 'revolute' as const, lower: -1, upper: 1, velocityLimit: 1, effortLimit: 1, defaultPosition: 0, kp: 1, kd: 0.1 };
    const spec = { name: 'cart\u001b]0;x\u0007', joints: [{ ...joint, name: SLIDER }, { ...joint, name: HINGE }], sensors: { imu: false, contacts: [] }, controlModes: ['position' as const] };
    expect(() => mapJoints(['slider'], spec, 'manifest.json#/joints')).toThrow(
      expect.objectContaining({ code: 'MODEL_ROBOT_MISMATCH', message: expect.not.stringMatching(CONTROL) }),
    );
    expect(() => mapJoints(['slider'], spec, 'manifest.json#/joints')).toThrow(/cart\\u001b\]0;x\\u0007.*slider\\u001b\[2J, hinge\\u000dpole/);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseClientMessage, sameSpec, specFromWire, specToWire } from '../../../hardware/bridge/messages.ts';
import { clientMessageJsonSchema } from '../../../hardware/bridge/schemas.ts';
import { BridgeError } from '../../../hardware/bridge/BridgeError.ts';
import { ErrorCode, errorName } from '../../../hardware/bridge/protocol.ts';
import { isLoopback, tokenMatches } from '../../../hardware/bridge/tokens.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { createUrdfSimRobot } from '../../../sim/describeRobot.ts';
import { checkModel } from '../../../src/model/checkModel.ts';
import { validateManifest } from '../../../src/model/manifest.ts';
import { manifest } from '../../helpers/fakes.ts';
import { writeRobotiq2f85 } from '../../helpers/vendorGrippers.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('bridge control messages', () => {
  it('a RobotSpec survives JSON: unbounded limits travel as null', () => {
    const s = createSimRobot('cartpole').spec;
    const wire = JSON.parse(JSON.stringify(specToWire(s)));
    expect(wire.joints[1]).toMatchObject({ name: 'hinge', type: 'continuous', lower: null, upper: null });
    const back = specFromWire(wire);
    expect(back.joints[1].lower).toBe(-Infinity);
    expect(back.joints[1].upper).toBe(Infinity);
    expect(sameSpec(back, s)).toBe(true);
  });

  it('a <mimic> follower travels with its leader, multiplier and offset (the Robotiq 2F-85: five followers); a hello without them (an older server) has none', () => {
    const s = createUrdfSimRobot(writeRobotiq2f85(mkdtempSync(join(tmpdir(), 'axon-bridge-mimic-'))), { pd: 'implicit', physicsDt: 1 / 200 }).spec;
    const wire = JSON.parse(JSON.stringify(specToWire(s)));
    const back = specFromWire(wire);
    expect(back.joints.map((j) => j.mimic ?? null)).toEqual(s.joints.map((j) => j.mimic ?? null));
    expect(back.joints.filter((j) => j.mimic).length).toBe(5);
    expect(back.joints.find((j) => j.name === 'right_inner_finger_joint')!.mimic).toEqual({ joint: 'finger_joint', multiplier: -1, offset: 0 });
    expect(wire.joints.find((j: { name: string }) => j.name === 'finger_joint')).not.toHaveProperty('mimic'); // only followers carry it
    expect(sameSpec(back, s)).toBe(true);
    // A client reading an older server's hello (no field), or null: every joint driven.
    const old = { ...wire, joints: wire.joints.map(({ mimic: _, ...j }: { mimic?: unknown }) => j) };
    expect(specFromWire(old).joints.some((j) => j.mimic)).toBe(false);
    expect(specFromWire({ ...wire, joints: wire.joints.map((j: object) => ({ ...j, mimic: null })) }).joints.some((j) => j.mimic)).toBe(false);
    // What the client then checks a policy against: one that drives a follower but not its leader is refused.
    const onlyFollower = validateManifest(manifest({ joints: ['right_inner_finger_joint'] }));
    expect(checkModel(onlyFollower, back).map((i) => i.robot)).toEqual(['the policy cannot move right_inner_finger_joint: it follows finger_joint (coupled to it), which the policy does not drive']);
    const bad = JSON.parse(JSON.stringify(wire));
    bad.joints[1].mimic = { joint: 'finger_joint', multiplier: 'one', offset: 0 };
    expect(() => specFromWire(bad)).toThrow(expect.objectContaining({ code: 'BRIDGE_BAD_HELLO', message: expect.stringContaining('hello.robot.joints[1].mimic') }));
  });

  it('a bad RobotSpec in a hello names the field and what was expected', () => {
    const wire = JSON.parse(JSON.stringify(specToWire(createSimRobot('cartpole').spec)));
    wire.joints[0].effortLimit = 'lots';
    const err = (() => {
      try {
        specFromWire(wire);
      } catch (e) {
        return e as BridgeError;
      }
    })();
    expect(err).toBeInstanceOf(BridgeError);
    expect(err?.code).toBe('BRIDGE_BAD_HELLO');
    expect(err?.message).toContain('hello.robot.joints[0].effortLimit');
    wire.joints[0].effortLimit = 30;
    expect(() => specFromWire({ ...wire, controlModes: ['torque'] })).toThrow(/controlModes/);
  });

  it.each([
    ['not json', ErrorCode.BAD_JSON],
    ['[1,2]', ErrorCode.BAD_JSON],
    ['{"type":"dance"}', ErrorCode.BAD_MESSAGE],
    ['{"type":"auth","role":"admin","token":"x"}', ErrorCode.BAD_MESSAGE],
    ['{"type":"auth","role":"command","token":5}', ErrorCode.BAD_MESSAGE],
    ['{"type":"heartbeat","time":"soon"}', ErrorCode.BAD_MESSAGE],
    ['{"type":"sim_reset","seed":-1}', ErrorCode.BAD_MESSAGE],
    [`{"type":"reset","reason":"${'x'.repeat(300)}"}`, ErrorCode.BAD_MESSAGE],
  ])('refuses %s with code %i', (text, code) => {
    const m = parseClientMessage(text);
    expect('code' in m && m.code).toBe(code);
  });

  it('accepts the client messages of the protocol', () => {
    expect(parseClientMessage('{"type":"auth","role":"command","token":"t"}')).toEqual({ type: 'auth', role: 'command', token: 't' });
    expect(parseClientMessage('{"type":"auth","role":"observe"}')).toEqual({ type: 'auth', role: 'observe' });
    expect(parseClientMessage('{"type":"estop","reason":"hand on the button"}')).toEqual({ type: 'estop', reason: 'hand on the button' });
    expect(parseClientMessage('{"type":"sim_reset","seed":4}')).toEqual({ type: 'sim_reset', seed: 4 });
    expect(parseClientMessage('{"type":"release","extra":1}')).toEqual({ type: 'release' });
  });

  it('wrong fields are refused by the schema naming type.field and what was expected', () => {
    expect(parseClientMessage('{"type":"auth","role":"admin"}')).toEqual({ code: ErrorCode.BAD_MESSAGE, text: 'auth.role: expected "observe" or "command"' });
    expect(parseClientMessage('{"type":"auth"}')).toEqual({ code: ErrorCode.BAD_MESSAGE, text: 'auth.role: expected "observe" or "command"' });
    expect(parseClientMessage('{"type":"heartbeat","time":1e400}')).toEqual({ code: ErrorCode.BAD_MESSAGE, text: 'heartbeat.time: expected a finite number (s)' });
    expect(parseClientMessage('{"type":"sim_reset","seed":1.5}')).toEqual({ code: ErrorCode.BAD_MESSAGE, text: 'sim_reset.seed: expected a whole number from 0 to 4294967295' });
    expect(parseClientMessage('{"type":"reset","reason":7}')).toEqual({ code: ErrorCode.BAD_MESSAGE, text: 'reset.reason: expected a string of at most 200 characters' });
    expect(parseClientMessage('{"type":"toString"}')).toMatchObject({ code: ErrorCode.BAD_MESSAGE });
  });

  it('an estop is an estop whatever its other fields: a long reason is cut, any other dropped, and the issue kept for after the stop', () => {
    expect(parseClientMessage(`{"type":"estop","reason":"${'x'.repeat(300)}"}`)).toEqual({
      type: 'estop',
      reason: 'x'.repeat(200),
      issue: { code: ErrorCode.BAD_MESSAGE, text: 'estop.reason: expected a string of at most 200 characters; the e-stop was applied, its reason truncated to 200 characters' },
    });
    for (const reason of ['7', 'null', '{"a":1}', '["x"]', 'true'])
      expect(parseClientMessage(`{"type":"estop","reason":${reason}}`)).toEqual({
        type: 'estop',
        issue: { code: ErrorCode.BAD_MESSAGE, text: 'estop.reason: expected a string of at most 200 characters; the e-stop was applied, its reason ignored' },
      });
    expect(parseClientMessage('{"type":"estop","reason":"ok","extra":[1]}')).toEqual({ type: 'estop', reason: 'ok' });
  });

  it('PROTOCOL.md publishes the JSON Schema the server checks with', () => {
    const doc = readFileSync('hardware/PROTOCOL.md', 'utf8');
    const m = /### 4\.1 JSON Schema[\s\S]*?```json\n([\s\S]*?)\n```/.exec(doc);
    expect(m).not.toBeNull();
    expect(JSON.parse(m![1])).toEqual(clientMessageJsonSchema());
  });

  it('error codes have stable names', () => {
    expect(errorName(1017)).toBe('FRAME_VALUE');
    expect(errorName(2004)).toBe('COMMANDER_BUSY');
    expect(errorName(4242)).toBe('UNKNOWN_4242');
  });

  it('tells loopback from reachable addresses, and compares tokens', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', 'robot.local', '']) expect(isLoopback(h)).toBe(false);
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
  });
});

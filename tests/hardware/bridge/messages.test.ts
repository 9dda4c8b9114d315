import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseClientMessage, sameSpec, specFromWire, specToWire } from '../../../hardware/bridge/messages.ts';
import { clientMessageJsonSchema } from '../../../hardware/bridge/schemas.ts';
import { BridgeError } from '../../../hardware/bridge/BridgeError.ts';
import { ErrorCode, errorName } from '../../../hardware/bridge/protocol.ts';
import { isLoopback, tokenMatches } from '../../../hardware/bridge/tokens.ts';
import { createSimRobot } from '../../../sim/index.ts';

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
    [`{"type":"estop","reason":"${'x'.repeat(300)}"}`, ErrorCode.BAD_MESSAGE],
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

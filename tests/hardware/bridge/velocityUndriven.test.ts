/**
 * A velocity-mode command frame with kd 0 (PROTOCOL.md 5.3, error 1021 COMMAND_UNDRIVEN): the velocity
 * loop's gain is kd, so such a command drives nothing while the robot reports running (review R26
 * F1: the server armed on it, and a running robot switched to it coasted). Refused: it arms nothing
 * and leaves the held command as it was; with kd > 0 velocity mode arms and runs.
 */
import { describe, expect, it } from 'vitest';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';
import { commandBytes, COMMAND_GAINS, encodeCommand } from '../../../hardware/bridge/frames.ts';
import type { ControlMode } from '../../../src/core/robot.ts';
import { createSimRobot } from '../../../sim/robots/index.ts';
import { closedAfterEach, RawClient, startServer } from './helpers.ts';

const TOKEN = 'secret-token';
const keep = closedAfterEach();
const serve = async (): Promise<BridgeServer> => keep(await startServer({ robot: createSimRobot('cartpole'), now: () => 10, paced: false }));

/** A two-joint command frame with its gains (bit 2). */
function frame(seq: number, mode: ControlMode, target: number[], kd: number[]): Buffer {
  const b = Buffer.alloc(commandBytes(2, COMMAND_GAINS));
  encodeCommand(b, 2, seq, 0, 0, { mode, target: Float64Array.from(target), kp: new Float64Array(2), kd: Float64Array.from(kd) });
  return b;
}

describe('a velocity command with kd 0', () => {
  it('is refused 1021 and does not arm an idle robot; with kd > 0 it arms', async () => {
    const s = await serve();
    const c = keep(await RawClient.open(s.url));
    await c.auth(TOKEN, 'command');
    const e = await c.errorAfter(() => c.bin(frame(1, 'velocity', [1, 0], [0, 2])));
    expect(e).toMatchObject({ code: 1021, name: 'COMMAND_UNDRIVEN', seq: 1 });
    expect(e.text).toMatch(/command seq 1 refused: velocity mode with kd 0 .* on slider \(kd 0\): the robot would not move while reporting running/);
    expect(s.robotState).toBe('idle');
    c.bin(frame(2, 'velocity', [1, 0], [5, 2]));
    await c.next((m) => m.type === 'status' && m.robotState === 'running');
  });

  it('sent to a running robot (a mode change) is refused and the held command stays', async () => {
    const s = await serve();
    const c = keep(await RawClient.open(s.url));
    await c.auth(TOKEN, 'command');
    c.bin(frame(1, 'position', [0.1, 0], [5, 2]));
    await c.next((m) => m.type === 'status' && m.robotState === 'running');
    const e = await c.errorAfter(() => c.bin(frame(2, 'velocity', [3, 0], [0, 0])));
    expect(e.code).toBe(1021);
    expect(e.text).toContain('on slider (kd 0): '); // the hinge is passive (effort limit 0): nothing to drive
    expect(s.robotState).toBe('running');
    expect(s.stats().commandsRejected).toBe(1);
    expect(s.stats().commandsAccepted).toBe(1);
  });
});

/**
 * A locomotion policy's velocity command with the robot behind the bridge: the command lives with
 * the client's loop (PROTOCOL.md section 10), so `runLive` (what `axon sim --robot ws://...
 * --command` runs) feeds it to the observation the client builds, and can change it mid-run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot } from '../../../hardware/bridge/index.ts';
import { runLive } from '../../../src/cli/live.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { startServer } from './helpers.ts';
import { velocityPolicy, VX_AT } from '../../helpers/velocityPolicy.ts';

const TOKEN = 'secret-token';
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

describe('velocity command over the bridge', () => {
  it("feeds the client's observation from --command (clamped) and takes a change mid-run", async () => {
    const s = await startServer({ robot: createSimRobot('cartpole') });
    open.push(s);
    const robot = await connectBridgeRobot(s.url, { token: TOKEN, simReset: { seed: 1 } });
    const seen: number[][] = [];
    const r = await runLive(robot, {
      policy: velocityPolicy({ lin_vel_x: [-0.5, 1.5] }),
      durationS: 0.6,
      handleSignals: false,
      velocityCommand: [2, 0.25, 0],
      onLoop: (loop, _safety, command) => {
        loop.records$.subscribe((rec) => {
          seen.push(Array.from(rec.input.subarray(VX_AT, VX_AT + 3)));
          if (rec.seq === 10) command.set(-0.2, 0, 0.5);
        });
      },
    });
    expect(r.loop.ticks).toBeLessThanOrEqual(30); // 0.6 s at 50 Hz: a late tick is skipped on the wall clock and the run still lasts 0.6 s (review R15 F12)
    expect(r.loop.ticks).toBeGreaterThan(10); // the command changes on tick 10
    expect(r.safety.state).toBe('running');
    const round = (v: number[]) => v.map((x) => Math.round(x * 1e6) / 1e6);
    expect(round(seen[0])).toEqual([1.5, 0.25, 0]);
    expect(round(seen.at(-1)!)).toEqual([-0.2, 0, 0.5]);
    expect(Array.from(r.command.value).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([-0.2, 0, 0.5]);
  });
});

/**
 * The shipped cartpole policy balances over the bridge as well as it does locally: the same
 * policy, safety settings and seeded initial state, once in lockstep simulation and once through
 * runLive against `BridgeServer` serving the cartpole over loopback sockets. Both ends run on one
 * virtual clock (VirtualRig): the link's latency is the protocol's own (a tick reads the state
 * frame of the server step before it), not how busy the test machine is; on wall-clock time this
 * test failed under a loaded CI (pole 15.6° against 4.4° locally).
 */
import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { OnnxPolicy } from '../../../src/policy/OnnxPolicy.ts';
import { ZeroPolicy, type Policy } from '../../../src/policy/Policy.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import type { Observation } from '../../../src/core/robot.ts';
import { createSimRobot, CartpoleTask } from '../../../sim/index.ts';
import { VirtualRig } from './virtualRig.ts';

const POLICY = 'models/cartpole-balance';
const SEED = 4;
const DURATION_S = 4;
/** Small seeded tilt: the zero action lets the pole fall past 12° within the episode, the policy holds it. */
const RANDOMIZE = { angle: 0.05 };
const SAFETY = { softStartS: 1 }; // what runLive gives a real-time robot
const DEG = 180 / Math.PI;

interface Episode {
  maxAngleDeg: number;
  maxCartM: number;
  success: boolean;
  ticks: number;
}

function tracker() {
  const task = new CartpoleTask({ episodeS: DURATION_S });
  const e: Episode = { maxAngleDeg: 0, maxCartM: 0, success: false, ticks: 0 };
  let started = false;
  return {
    e,
    task,
    see(obs: Observation) {
      if (!started) {
        task.reset(obs);
        started = true;
      }
      e.maxAngleDeg = Math.max(e.maxAngleDeg, Math.abs(obs.jointPosition[1]) * DEG);
      e.maxCartM = Math.max(e.maxCartM, Math.abs(obs.jointPosition[0]));
      task.step(obs, 0.02);
      e.ticks++;
      e.success = task.success;
    },
  };
}

async function localEpisode(zero: boolean): Promise<Episode> {
  const folder = loadModelFolder(POLICY);
  const m = folder.manifest;
  const robot = createSimRobot('cartpole', { randomize: RANDOMIZE, seed: SEED });
  const policy: Policy = zero ? new ZeroPolicy(m, 4, 1) : await OnnxPolicy.load(folder);
  const t = tracker();
  const loop = new ControlLoop({
    robot,
    clock: new SimClock(1 / m.control_hz, (dt) => robot.step(dt)),
    builder: new ObservationBuilder(m, robot.spec),
    policy,
    worldModel: new PassThroughHook(),
    mapper: new ActionMapper(m, robot.spec),
    safety: new SafetySupervisor(robot.spec, 1 / m.control_hz, SAFETY),
    maxTicks: DURATION_S * m.control_hz,
  });
  loop.records$.subscribe((r) => t.see(r.observation));
  await loop.run();
  await policy.close();
  return t.e;
}

describe('cartpole over the bridge', () => {
  it('the cartpole policy balances over the bridge as well as locally (pole within ±12°, cart within ±2.4 m)', async () => {
    const local = await localEpisode(false);
    const zero = await localEpisode(true);
    expect(local.success, `local: ${JSON.stringify(local)}`).toBe(true);
    expect(zero.success, 'the zero action must fail on this start, or the test proves nothing').toBe(false);

    const rig = await VirtualRig.start({ robot: createSimRobot('cartpole', { randomize: RANDOMIZE }) });
    try {
      const robot = await rig.connect({ simReset: { seed: SEED } });
      const t = tracker();
      const { r } = await rig.runLive(robot, {
        policy: POLICY,
        durationS: DURATION_S,
        safety: SAFETY,
        onLoop: (loop) => loop.records$.subscribe((rec) => t.see(rec.observation)),
      });
      const bridge = t.e;
      const msg = `bridge ${JSON.stringify(bridge)} vs local ${JSON.stringify(local)}`;
      expect(r.endedBy, msg).toBe('duration');
      expect(r.loop.ticks).toBe(DURATION_S * 50);
      expect(r.safety.state, msg).toBe('running');
      expect(bridge.success, msg).toBe(true);
      expect(bridge.maxAngleDeg, msg).toBeLessThan(12);
      expect(bridge.maxCartM, msg).toBeLessThan(2.4);
      // As well as locally: the extra latency of the link costs little.
      expect(bridge.maxAngleDeg, msg).toBeLessThan(Math.max(2 * local.maxAngleDeg, local.maxAngleDeg + 3));
      // The served robot was commanded all along and given back cleanly.
      await rig.robot!.close();
      const states = rig.serverEvents.flatMap((e) => (e.kind === 'state' ? [`${e.robotState}:${e.cause}`] : []));
      expect(states).toEqual(['idle:sim_reset', 'running:armed', 'idle:release']);
      expect(rig.server.stats().commandsAccepted).toBe(DURATION_S * 50);
    } finally {
      await rig.close();
    }
  });
});

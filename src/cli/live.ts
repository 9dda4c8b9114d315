/**
 * Running a policy on a robot in real time (hardware, a bridge, or any Robot that keeps its own
 * time): wall clock, soft start, and every way out — duration, Ctrl-C, a robot fault — ends with
 * the robot commanded into its safe state before it is closed.
 */
import type { Subscription } from 'rxjs';
import type { Robot } from '../core/robot.ts';
import { loadModelFolder, type ModelFolder } from '../model/manifest.ts';
import { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { ActionMapper } from '../model/ActionMapper.ts';
import { loadPolicy } from '../policy/loadPolicy.ts';
import { assertModelFits } from '../model/checkModel.ts';
import { PassThroughHook } from '../worldmodel/types.ts';
import { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import type { SafetyConfig } from '../safety/types.ts';
import { WallClock } from '../clock/WallClock.ts';
import { ControlLoop, type LoopResult } from '../loop/ControlLoop.ts';
import { VelocityCommand } from '../loop/VelocityCommand.ts';

export interface LiveOptions {
  readonly policy: string;
  readonly durationS: number;
  /** Safety settings; a real robot gets a soft start of 1 s by default. */
  readonly safety?: Partial<SafetyConfig>;
  /** Stop on SIGINT/SIGTERM (default true). */
  readonly handleSignals?: boolean;
  /**
   * Initial velocity command (vx m/s, vy m/s, wz rad/s) for a locomotion policy, clamped to the
   * manifest's command_ranges. It lives here, with the loop: over the bridge the observation is
   * built on the client, so the command never crosses the wire (hardware/PROTOCOL.md, section 10).
   */
  readonly velocityCommand?: readonly [number, number, number];
  /** `command`: the run's velocity command source (set it off the tick to change the command live). */
  readonly onLoop?: (loop: ControlLoop, safety: SafetySupervisor, command: VelocityCommand) => void;
}

export interface LiveResult {
  readonly folder: ModelFolder;
  readonly loop: LoopResult;
  readonly safety: SafetySupervisor;
  readonly period: number;
  /** Why the run ended: 'duration', 'signal', 'fault'. */
  readonly endedBy: 'duration' | 'signal' | 'fault';
  /** The run's velocity command source (its value at the end). */
  readonly command: VelocityCommand;
}

export async function runLive(robot: Robot, o: LiveOptions): Promise<LiveResult> {
  // The pre-arm check: a model that does not fit the robot, or reads a term the robot cannot
  // provide (no silent zeros: src/model/checkModel.ts), is refused with the robot untouched, and
  // the robot is closed (an open bridge link would otherwise keep the process alive).
  let folder: ModelFolder, policy: Awaited<ReturnType<typeof loadPolicy>>;
  try {
    folder = loadModelFolder(o.policy);
    assertModelFits(folder.manifest, robot.spec, {}, `${o.policy}/manifest.json`);
    policy = await loadPolicy(folder);
  } catch (e) {
    await robot.close();
    throw e;
  }
  const m = folder.manifest;
  const period = 1 / m.control_hz;
  const command = VelocityCommand.forManifest(m, o.velocityCommand);
  const builder = command.feed(new ObservationBuilder(m, robot.spec));
  const mapper = new ActionMapper(m, robot.spec);
  const safety = new SafetySupervisor(robot.spec, period, { softStartS: 1, ...o.safety });
  const clock = new WallClock(period);
  await robot.connect();
  const loop = new ControlLoop({ robot, clock, builder, policy, worldModel: new PassThroughHook(), mapper, safety, maxTicks: Math.round(o.durationS / period) });
  let endedBy: LiveResult['endedBy'] = 'duration';
  const onSignal = () => {
    endedBy = 'signal';
    safety.estop('operator interrupt (signal)', clock.now(), 0);
    loop.stop();
  };
  const subs: Subscription[] = [];
  subs.push(
    robot.health$.subscribe((h) => {
      if (h.faults.length > 0 && safety.state !== 'e-stopped' && safety.state !== 'safe-stop') {
        endedBy = 'fault';
        safety.estop(`robot fault: ${h.faults.join('; ')}`, clock.now(), 0);
      }
    }),
  );
  try {
    // Inside the try: whatever the caller attaches (viewer, recorder) fails with the robot closed.
    o.onLoop?.(loop, safety, command);
    if (o.handleSignals ?? true) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    const result = await loop.run();
    return { folder, loop: result, safety, period, endedBy, command };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const s of subs) s.unsubscribe();
    await policy.close();
    await robot.close(); // a Robot's close() leaves it in its own safe state (hold or torque off)
  }
}

/**
 * What a viewer test attaches the viewer to, without a running ControlLoop: a one-joint
 * PointMassRobot ('a', 50 Hz), its SafetySupervisor, and a stand-in loop (a records$ Subject the
 * test can push ticks into, and empty LoopStats), the three arguments attachViewer takes.
 */
import { Subject } from 'rxjs';
import { LoopStats } from '../../src/loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../../src/loop/TickRecord.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import { PointMassRobot, joint, spec } from './fakes.ts';

/** The loop as the viewer sees it: ticks on records$ (none unless the test sends some) and its stats. */
export function fakeLoop() {
  return { records$: new Subject<TickRecord>(), stats: new LoopStats(stageNames, 100) };
}

/** A one-joint point mass, its supervisor (armed when `armed`, else still disarmed) and a fakeLoop(). */
export function pointMassRig(opts: { armed?: boolean } = {}) {
  const robot = new PointMassRobot(spec([joint('a')]), 0.02);
  const safety = new SafetySupervisor(robot.spec, 0.02);
  if (opts.armed) safety.arm(robot.observe(), 0);
  return { robot, safety, loop: fakeLoop() };
}

/**
 * A follower fault, then the operator's Ctrl-C before the loop has ended: the run ended on the
 * fault (docs/safety.md "How a run ends": a robot fault keeps ended_by "fault", exit 1). Two
 * emulated SO-101 buses, a scripted leader; the follower's health is a subject the test drives.
 */
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { runTeleop } from '../../../src/teleop/runTeleop.ts';
import type { RobotHealth } from '../../../src/core/robot.ts';
import { loadAnyRobotConfig, openConfiguredRobot, type FeetechPort } from '../../../hardware/robots/openRobot.ts';
import { scriptLeader } from '../../../hardware/emulator/scriptedOperator.ts';
import type { FeetechEmulator } from '../../../hardware/emulator/FeetechEmulator.ts';
import type { FeetechRobotConfig } from '../../../hardware/robots/feetechConfig.ts';

describe('teleop: a fault then Ctrl-C', () => {
  it('ends by fault, not signal', async () => {
    const hz = 100, period = 1 / hz;
    const lead = loadAnyRobotConfig('hardware/robots/so101-leader.json');
    const foll = loadAnyRobotConfig('hardware/robots/so101-follower.json');
    const L = openConfiguredRobot(lead, 'emu://', lead.config.baud, { dryRun: true, period });
    const F = openConfiguredRobot(foll, 'emu://', foll.config.baud, { period });
    scriptLeader((L.port as FeetechPort).emulator as FeetechEmulator, lead.config as FeetechRobotConfig, (t, q) => {
      for (let i = 0; i < q.length; i++) q[i] = 0.2 * Math.sin(2 * Math.PI * 0.5 * t + i) * Math.min(1, t);
    });
    const health = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: [] });
    Object.defineProperty(F.robot, 'health$', { value: health });
    const before = process.listenerCount('SIGINT');
    const r = await runTeleop(L.robot, F.robot, {
      hz,
      durationS: 3,
      handleSignals: true,
      onLoop: (loop) => {
        let done = false;
        loop.records$.subscribe((rec) => {
          if (done || rec.seq < 50) return;
          done = true;
          health.next({ connected: true, stale: false, faults: ['servo 3 overload'] });
          process.emit('SIGINT' as never); // the operator's Ctrl-C before the loop has wound down
        });
      },
    });
    expect(r.loop.ticks).toBeLessThan(100);
    expect(r.endedBy).toBe('fault');
    expect(process.listenerCount('SIGINT')).toBe(before);
  }, 60_000);
});

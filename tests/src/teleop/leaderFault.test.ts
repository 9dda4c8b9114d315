/**
 * A Feetech leader whose servo raises an alert (here its angle sensor, whose reading then goes
 * 1.2 rad off, as a failing magnetic encoder does) is not followed: the alert is a fault on the
 * leader's health (FeetechRobot, as a Dynamixel leader's), the follower is stopped where it is and
 * the run ends 'fault' naming the leader's joint and the bits. Two emulated SO-101 buses, a
 * scripted leader.
 */
import { describe, expect, it } from 'vitest';
import { runTeleop } from '../../../src/teleop/runTeleop.ts';
import { loadAnyRobotConfig, openConfiguredRobot, type FeetechPort } from '../../../hardware/robots/openRobot.ts';
import { scriptLeader } from '../../../hardware/emulator/scriptedOperator.ts';
import type { FeetechEmulator } from '../../../hardware/emulator/FeetechEmulator.ts';
import type { FeetechRobot } from '../../../hardware/robots/FeetechRobot.ts';
import type { FeetechRobotConfig } from '../../../hardware/robots/feetechConfig.ts';
import { StatusBit } from '../../../hardware/feetech/packet.ts';

describe('teleop: a leader servo alert', () => {
  it('stops the follower where it is and ends the run as a fault naming the leader joint and bits', async () => {
    const hz = 50, period = 1 / hz;
    const lead = loadAnyRobotConfig('hardware/robots/so101-leader.json');
    const foll = loadAnyRobotConfig('hardware/robots/so101-follower.json');
    const L = openConfiguredRobot(lead, 'emu://', lead.config.baud, { period });
    const F = openConfiguredRobot(foll, 'emu://', foll.config.baud, { period });
    const emu = (L.port as FeetechPort).emulator as FeetechEmulator;
    let off = 0; // the failing sensor's error on shoulder_pan (rad)
    scriptLeader(emu, lead.config as FeetechRobotConfig, (t, q) => {
      q.fill(0);
      q[0] = 0.3 * Math.sin(2 * Math.PI * 0.5 * t) + off;
    });
    let faultSeq = -1;
    const sentPan: number[] = [];
    const r = await runTeleop(L.robot, F.robot, {
      hz,
      durationS: 20,
      handleSignals: false,
      safety: { softStartS: 0.2 },
      onLoop: (loop) => {
        loop.records$.subscribe((rec) => {
          if (faultSeq >= 0) sentPan.push(rec.sent.target[0]);
          if (faultSeq >= 0 || rec.seq < 40) return;
          faultSeq = rec.seq;
          emu.injectFault(1, StatusBit.angle_sensor);
          off = 1.2;
        });
      },
    });
    expect(faultSeq).toBeGreaterThan(0);
    expect(r.endedBy).toBe('fault');
    expect(r.loop.ticks).toBeLessThan(faultSeq + 20); // the fault ended it, not the 20 s
    expect(r.safety.state).toBe('safe-stop');
    expect(r.safety.stopCause?.reason).toMatch(/^leader fault: joint shoulder_pan \(id 1\): servo status angle.sensor/);
    const ev = (L.robot as FeetechRobot).eventLog.find((e) => e.kind === 'hardware_error');
    expect(ev?.reason).toMatch(/shoulder_pan \(id 1\): servo status angle.sensor/);
    // The follower never chased the bad reading: its targets stay within a tick or two of motion of where they were.
    expect(sentPan.length).toBeGreaterThan(0);
    const first = sentPan[0];
    for (const x of sentPan) expect(Math.abs(x - first)).toBeLessThan(0.1);
  }, 60_000);
});

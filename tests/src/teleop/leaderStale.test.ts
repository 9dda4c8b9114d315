/**
 * A leader that stops answering is reported as what it is: each tick it cannot be followed is a
 * policy deadline miss whose reason names the leader and the joints its reads missed (not the
 * follower's "bad command" on target[0]); the follower holds, then safe-stops at the 3rd miss, and
 * nothing of the leader's NaN reaches it.
 */
import { describe, expect, it } from 'vitest';
import { runTeleop } from '../../../src/teleop/runTeleop.ts';
import type { SafetyEvent } from '../../../src/safety/types.ts';
import { joint, spec } from '../../helpers/fakes.ts';
import { FakeArm } from './teleopFakes.ts';
import { loadAnyRobotConfig, openConfiguredRobot, type FeetechPort } from '../../../hardware/robots/openRobot.ts';
import { scriptLeader } from '../../../hardware/emulator/scriptedOperator.ts';
import type { FeetechEmulator } from '../../../hardware/emulator/FeetechEmulator.ts';
import type { FeetechRobotConfig } from '../../../hardware/robots/feetechConfig.ts';

describe('teleop: a leader gone silent', () => {
  it('one joint silent: deadline misses naming the leader and that joint, then safe-stop; no bad-command event', async () => {
    const names = ['shoulder_pan', 'shoulder_lift', 'elbow_flex'];
    const leader = new FakeArm(spec(names.map((n) => joint(n))));
    const follower = new FakeArm(spec([...names].reverse().map((n) => joint(n)))); // another joint order
    const events: SafetyEvent[] = [];
    const sent: number[] = [];
    let silentAt = -1;
    const r = await runTeleop(leader, follower, {
      hz: 50,
      durationS: 1.5,
      handleSignals: false,
      safety: { softStartS: 0.1 },
      onLoop: (loop, safety) => {
        safety.events$.subscribe((e) => events.push(e));
        loop.records$.subscribe((rec) => {
          if (silentAt >= 0) for (const x of rec.sent.target) sent.push(x);
          if (silentAt >= 0 || rec.seq < 20) return;
          silentAt = rec.seq;
          // What a servo robot says when elbow_flex (id 3) stops answering: read_failed, then stale.
          leader.events.next({ time: 0, kind: 'read_failed', reason: 'no valid reply from elbow_flex (id 3) within the read budget (2 retries; timeouts or checksum errors)' });
          leader.health.next({ connected: true, stale: true, faults: [] });
        });
      },
    });
    expect(silentAt).toBeGreaterThan(0);
    const misses = events.filter((e) => e.kind === 'policy_deadline');
    expect(misses.length).toBe(3); // held twice, stopped at the 3rd; none after the stop
    for (const e of misses) expect(e.reason).toMatch(/^leader fake went silent .*elbow_flex \(id 3\)/);
    expect(misses[0].seq).toBe(silentAt + 1);
    expect(events.filter((e) => e.kind === 'non_finite')).toEqual([]);
    expect(r.safety.state).toBe('safe-stop');
    expect(r.safety.stopCause?.kind).toBe('policy_deadline');
    expect(r.endedBy).toBe('safe_stop');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((x) => Number.isFinite(x))).toBe(true);
  }, 30_000);

  it('an emulated SO-101 leader whose bus froze: the misses name its servos, then its silent_bus fault ends the run', async () => {
    const hz = 50, period = 1 / hz;
    const lead = loadAnyRobotConfig('hardware/robots/so101-leader.json');
    const foll = loadAnyRobotConfig('hardware/robots/so101-follower.json');
    const L = openConfiguredRobot(lead, 'emu://', lead.config.baud, { period });
    const F = openConfiguredRobot(foll, 'emu://', foll.config.baud, { period });
    const emu = (L.port as FeetechPort).emulator as FeetechEmulator;
    scriptLeader(emu, lead.config as FeetechRobotConfig, (t, q) => {
      for (let i = 0; i < q.length; i++) q[i] = 0.2 * Math.sin(2 * Math.PI * 0.5 * t + i) * Math.min(1, t);
    });
    const events: SafetyEvent[] = [];
    let frozen = false;
    const r = await runTeleop(L.robot, F.robot, {
      hz,
      durationS: 20,
      handleSignals: false,
      safety: { softStartS: 0.2 },
      onLoop: (loop, safety) => {
        safety.events$.subscribe((e) => events.push(e));
        loop.records$.subscribe((rec) => {
          if (frozen || rec.seq < 30) return;
          frozen = true;
          emu.frozen = true;
        });
      },
    });
    expect(frozen).toBe(true);
    const misses = events.filter((e) => e.kind === 'policy_deadline');
    expect(misses.length).toBeGreaterThan(0);
    // Every miss names the leader and servos (a loaded host's read hiccup before the freeze may name others than id 1).
    for (const e of misses) expect(e.reason).toMatch(/^leader so101-leader went silent \(stale: no complete read\): no valid reply from .*\(id \d\)/);
    expect(events.filter((e) => e.kind === 'non_finite')).toEqual([]);
    expect(r.endedBy).toBe('fault'); // the leader's silent_bus fault
  }, 60_000);
});

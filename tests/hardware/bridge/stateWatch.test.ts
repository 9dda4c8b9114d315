/**
 * A blown-up simulation behind `axon bridge` is stopped by the server, as `axon sim`'s state
 * watchdog stops a run: the vendor wrist (tiny inertias) served with explicit PD diverges on its
 * first steps (a joint at hundreds of times its velocity limit, every value still finite, so the
 * supervisor's bad-value check does not see it). With the watch, the running robot is
 * safe-stopped with the watchdog's reason, stopped again each time it is re-armed while the
 * simulation stays blown up, and `sim_reset` starts the watch again. Unpaced, on virtual time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { StateWatchdog } from '../../../sim/watchdog/StateWatchdog.ts';
import { runAxon } from '../../helpers/cli.ts';
import { writeVendorWrist } from '../../helpers/vendorWrist.ts';
import { record, waitUntil } from './helpers.ts';
import { serveWrist, wristFrame } from './servedWrist.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** The wrist under explicit PD (which its tiny inertias cannot hold), with or without sim's state watchdog on the server. */
async function serveExplicitWrist(watch: boolean) {
  let watchdog: StateWatchdog | undefined;
  const served = await serveWrist({ pd: 'explicit', ...(watch ? { watch: (spec: RobotSpec) => (watchdog = new StateWatchdog(spec)) } : {}) }, open);
  return { ...served, events: record(served.s), watchdog };
}

const position = (seq: number, values: number[]) => wristFrame('position', seq, values);

describe('the bridge server watches a served simulation', () => {
  it('safe-stops a running robot whose simulation blew up, again after each re-arm, until sim_reset', async () => {
    const { s, c, step, events, watchdog: w } = await serveExplicitWrist(true);
    const watchdog = w!;
    let seq = 1;
    c.bin(position(seq++, [0.3, 0.3, 0.3]));
    await waitUntil(() => s.robotState === 'running', 'armed');
    step(0.02);
    expect(watchdog.reason).toMatch(/^joint \w+ moves at [\d.e+]+, over \d+ \(10 × its velocity limit\)$/);
    expect(s.robotState).toBe('safe-stop');
    const stop = events.find((e) => e.kind === 'state' && e.robotState === 'safe-stop');
    expect(stop).toMatchObject({ cause: 'safety' });
    expect(stop && 'reason' in stop ? stop.reason : '').toContain(`state watchdog: ${watchdog.reason}`);

    // The operator's reset leaves the stop; the next command re-arms and the watch stops it again
    // on the next step: a blown-up simulation is not commanded on.
    s.reset('try again');
    expect(s.robotState).toBe('idle');
    c.bin(position(seq++, [0.3, 0.3, 0.3]));
    await waitUntil(() => s.robotState === 'running', 're-armed');
    const before = events.length;
    step(s.dt);
    expect(s.robotState).toBe('safe-stop');
    const again = events.slice(before).find((e) => e.kind === 'state' && e.robotState === 'safe-stop');
    expect(again && 'reason' in again ? again.reason : '').toContain(`state watchdog: ${watchdog.reason}`);

    // sim_reset puts the simulation back and the watch starts again from it.
    s.reset('reset the simulation next');
    c.json({ type: 'sim_reset', seed: 2 });
    await waitUntil(() => events.some((e) => e.kind === 'state' && e.cause === 'sim_reset'), 'the sim reset');
    expect(watchdog.reason).toBeUndefined();
    expect(s.robotState).toBe('idle');
  });

  it("sim_reset leaves the state watchdog's safe-stop without a reset (the one latched stop it leaves: PROTOCOL.md section 7)", async () => {
    const { s, c, step, events, watchdog: w } = await serveExplicitWrist(true);
    c.bin(position(1, [0.3, 0.3, 0.3]));
    await waitUntil(() => s.robotState === 'running', 'armed');
    step(0.02);
    expect(s.robotState).toBe('safe-stop');
    expect(s.safety.stopCause?.kind).toBe('state_watchdog');
    c.json({ type: 'sim_reset', seed: 2 });
    await waitUntil(() => events.some((e) => e.kind === 'state' && e.cause === 'sim_reset'), 'the sim reset');
    expect(w!.reason).toBeUndefined();
    expect(s.robotState).toBe('idle');
    expect(c.messages.some((m) => m.type === 'error')).toBe(false);
  });

  it('without a watch the same blown-up simulation runs on (what the watch is for)', async () => {
    const { s, c, step } = await serveExplicitWrist(false);
    c.bin(position(1, [0.3, 0.3, 0.3]));
    await waitUntil(() => s.robotState === 'running', 'armed');
    for (let i = 2; i < 12; i++) {
      c.bin(position(i, [0.3, 0.3, 0.3]));
      step(0.002);
    }
    // Past 10 × every joint's velocity limit (the fastest limit is 6 rad/s): the watchdog's envelope.
    expect(Math.max(...Array.from(s.observation.jointVelocity, Math.abs))).toBeGreaterThan(60);
    expect(s.robotState).toBe('running');
  });

  it('axon bridge serving a simulation that blows up names the breach in its summary and exits 3, as sim does', () => {
    const urdf = writeVendorWrist(mkdtempSync(join(tmpdir(), 'axon-state-watch-cli-')));
    // Served idle: the hold itself diverges with explicit PD on the wrist's tiny inertias.
    const r = runAxon(['bridge', '--urdf', urdf, '--fixed-base', '--pd', 'explicit', '--port', '0', '--duration', '1', '--json']);
    expect(r.code, r.stderr).toBe(3);
    const summary = JSON.parse(r.lastLine);
    expect(summary.state_watchdog).toMatch(/^joint \w+ moves at -?[\d.]+, over \d+ \(10 × its velocity limit\)$/);
    expect(r.stderr).toContain(`the simulation blew up (state watchdog: ${summary.state_watchdog})`);
    // The same robot with implicit PD (the default) stays sane and the run exits 0.
    const ok = runAxon(['bridge', '--urdf', urdf, '--fixed-base', '--port', '0', '--duration', '1', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.lastLine).state_watchdog).toBeUndefined();
  });
});

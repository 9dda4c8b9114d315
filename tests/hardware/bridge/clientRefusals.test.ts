/**
 * What `axon sim --robot ws://...` refuses on the server's hello, before it authenticates (so
 * before its `sim_reset` or a command touches the served robot): src/cli/bridgeHello.ts.
 *
 * - A served robot in a latched stop (safe-stop or e-stopped) is BRIDGE_ROBOT_STOPPED, exit 2, the
 *   robot left stopped. The client used to send its `sim_reset` first, which cleared a safe-stop
 *   and armed the robot with no operator reset (review R6, finding 2), and for an e-stopped one
 *   failed with the server's refusal of that reset (BRIDGE_REFUSED) instead.
 * - A policy whose control period is more than half the server's command deadman is BRIDGE_RATE,
 *   exit 2, never armed. It used to arm the robot and be deadman-stopped 0.2 s later (finding 12).
 * - A velocity-mode policy the served robot's spec leaves undriven (kd 0 on the cartpole's slider) is
 *   SAFETY_VELOCITY_GAIN, exit 2, refused on the hello too: it used to send its sim_reset first.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { BridgeError, connectBridgeRobot, type BridgeServer } from '../../../hardware/bridge/index.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { record, startServer, waitUntil } from './helpers.ts';

let server: BridgeServer | undefined;
afterEach(async () => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

/** Runs `axon sim --robot url` in this process: exit code and stderr. */
async function simClient(url: string, policy = 'models/cartpole-balance'): Promise<{ code: number; stderr: string }> {
  let err = '';
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s === 'string') err += s;
    else return write(s, ...(rest as []));
    return true;
  });
  const code = await main(['node', 'axon', 'sim', '--robot', url, '--token', 'secret-token', '--policy', policy, '--duration', '1', '--json']);
  return { code, stderr: err };
}

/** The served robot's state changes, as `state:cause`. */
function states(events: ReturnType<typeof record>): string[] {
  return events.flatMap((e) => (e.kind === 'state' ? [`${e.robotState}:${e.cause}`] : []));
}

describe('axon sim over the bridge: refused on the hello', () => {
  it('a served robot safe-stopped by its deadman is refused, BRIDGE_ROBOT_STOPPED, and left stopped: no sim_reset, no arming', async () => {
    server = await startServer({ robot: createSimRobot('cartpole') });
    const s = server;
    const events = record(s);
    // Another client arms the robot and goes quiet: the deadman safe-stops it; it then releases (the stop stays latched).
    const other = await connectBridgeRobot(s.url, { token: 'secret-token' });
    other.command({ mode: 'position', target: new Float64Array(other.spec.joints.length) });
    await waitUntil(() => s.robotState === 'safe-stop', 'the deadman');
    await other.close();
    await waitUntil(() => s.commanderId === undefined, 'the release');
    const before = states(events);
    expect(before).toEqual(['running:armed', 'safe-stop:deadman']);
    const r = await simClient(s.url);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^axon: error \[BRIDGE_ROBOT_STOPPED\]: ws:\/\/127\.0\.0\.1:\d+: the served robot is safe-stop \(deadman: command deadman: no command for [\d.]+ s \(limit 0\.2 s\)\); this client neither resets nor arms it \(expected an operator reset on the server first \('r' in axon bridge\)\)\n$/);
    expect(states(events)).toEqual(before); // no sim_reset, no armed
    expect(s.robotState).toBe('safe-stop');
    expect(events.filter((e) => e.kind === 'role')).toHaveLength(2); // the other client's command and observe: this one never authenticated
  });

  it('an e-stopped served robot is refused the same way (the same code and exit code), not with the server refusing the sim reset', async () => {
    server = await startServer({ robot: createSimRobot('cartpole') });
    const s = server;
    const events = record(s);
    s.estop('drill');
    const r = await simClient(s.url);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^axon: error \[BRIDGE_ROBOT_STOPPED\]: .*the served robot is e-stopped \(estop: e-stop by the server operator: drill\)/);
    expect(states(events)).toEqual(['e-stopped:estop']);
    expect(s.robotState).toBe('e-stopped');
  });

  it.each(['e-stopped', 'safe-stop'] as const)('connectBridgeRobot never sends its sim_reset to a robot in %s: BRIDGE_ROBOT_STOPPED, the stop left latched', async (stop) => {
    server = await startServer({ robot: createSimRobot('cartpole') });
    const s = server;
    const events = record(s);
    if (stop === 'e-stopped') s.estop('drill');
    else {
      const other = await connectBridgeRobot(s.url, { token: 'secret-token' });
      other.command({ mode: 'position', target: new Float64Array(other.spec.joints.length) });
      await waitUntil(() => s.robotState === 'safe-stop', 'the deadman');
      await other.close();
      await waitUntil(() => s.commanderId === undefined, 'the release');
    }
    const before = states(events);
    const e = await connectBridgeRobot(s.url, { token: 'secret-token', simReset: { seed: 2 } }).then(
      () => undefined,
      (x: unknown) => x as BridgeError,
    );
    expect(e).toBeInstanceOf(BridgeError);
    expect(e!.code).toBe('BRIDGE_ROBOT_STOPPED');
    expect(e!.message).toMatch(
      stop === 'e-stopped'
        ? `${s.url}: the served robot is e-stopped (estop: e-stop by the server operator: drill): not reset on connect (expected an operator reset on the server first)`
        : /: the served robot is safe-stop \(deadman: command deadman: no command for [\d.]+ s \(limit 0\.2 s\)\): not reset on connect/,
    );
    await waitUntil(() => s.commanderId === undefined, 'the client gone');
    expect(states(events)).toEqual(before); // no sim_reset
    expect(s.robotState).toBe(stop);
  });

  it("a policy whose period is more than half the server's command deadman is refused, BRIDGE_RATE, naming both, and the robot is never armed", async () => {
    server = await startServer({ robot: createSimRobot('cartpole') });
    const s = server;
    const events = record(s);
    const slow = join(mkdtempSync(join(tmpdir(), 'axon-slow-policy-')), 'cartpole-4hz');
    cpSync('models/cartpole-balance', slow, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(slow, 'manifest.json'), 'utf8')) as { control_hz: number };
    writeFileSync(join(slow, 'manifest.json'), JSON.stringify({ ...manifest, control_hz: 4 }, null, 2));
    const r = await simClient(s.url, slow);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `axon: error [BRIDGE_RATE]: ${slow} control_hz 4: the policy's control period 0.25 s is not shorter than half the served robot's command deadman, 0.2 s (hello.commandTimeoutS of ${s.url}): the server would safe-stop the robot between two commands (expected control_hz of at least 10, or a server started with --command-timeout of at least 0.5 s)\n`,
    );
    expect(s.counts.commandsAccepted).toBe(0);
    expect(states(events)).toEqual([]); // no sim_reset, never armed
    expect(s.robotState).toBe('idle');
  });

  it("a velocity policy the served spec leaves undriven (kd 0) is refused on the hello, SAFETY_VELOCITY_GAIN: no sim_reset, never armed", async () => {
    server = await startServer({ robot: createSimRobot('cartpole') });
    const s = server;
    const events = record(s);
    const vel = join(mkdtempSync(join(tmpdir(), 'axon-velocity-policy-')), 'cartpole-velocity');
    cpSync('models/cartpole-balance', vel, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(vel, 'manifest.json'), 'utf8')) as { action: Record<string, unknown> };
    writeFileSync(join(vel, 'manifest.json'), JSON.stringify({ ...manifest, action: { ...manifest.action, type: 'joint_velocity' } }, null, 2));
    const r = await simClient(s.url, vel);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^axon: error \[SAFETY_VELOCITY_GAIN\]: robot cartpole: velocity mode with kd 0 commands no effort .* on slider \(kd 0\)/);
    expect(s.counts.commandsAccepted).toBe(0);
    expect(states(events)).toEqual([]); // no sim_reset, never armed
    expect(events.filter((e) => e.kind === 'role')).toHaveLength(0); // never authenticated
  });
});

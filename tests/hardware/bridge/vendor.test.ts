/**
 * A vendor's robot over the bridge: `axon bridge --urdf FILE` / `--mjcf FILE` serve it, set up as
 * `axon sim` sets it up, and `axon sim --robot ws://... --policy DIR` runs a policy against it,
 * checked against the served spec as for a shipped robot. Every process is ended (SIGKILL at a timeout).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot } from '../../../hardware/bridge/index.ts';
import { writeMenagerieHand } from '../../helpers/menagerieMjcf.ts';
import { zeroPositionPolicy } from '../../helpers/onnxFixtures.ts';
import { WRIST_FILE_JOINTS, WRIST_TREE_JOINTS, writeVendorWrist } from '../../helpers/vendorWrist.ts';
import { waitUntil } from './helpers.ts';

interface Proc {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (null: killed). */
  readonly done: Promise<number | null>;
}

const started: Proc[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.done;
  }
});

/** `axon ARGS` in its own process, SIGKILLed after timeoutMs (a hang fails the test, it does not outlive it). */
function axon(args: string[], timeoutMs: number): Proc {
  const child = spawn(process.execPath, ['bin/axon.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { child, stdout: '', stderr: '' } as Proc;
  child.stdout!.on('data', (d) => (p.stdout += d));
  child.stderr!.on('data', (d) => (p.stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  Object.assign(p, { done: new Promise<number | null>((res) => child.on('close', (code) => (clearTimeout(timer), res(code)))) });
  started.push(p);
  return p;
}

/** The server's ws:// URL once it listens. */
async function listening(p: Proc): Promise<string> {
  await waitUntil(() => /listening on ws:\/\/\S+/.test(p.stdout) || p.child.exitCode !== null, 'the listening line', 30_000);
  const m = /listening on (ws:\/\/\S+)/.exec(p.stdout);
  if (!m) throw new Error(`axon bridge did not listen (exit ${p.child.exitCode}): ${p.stdout}${p.stderr}`);
  return m[1];
}

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);
const TOKEN = 'vendor-token';
// The server serves this long (s) from its listening line: time for a 1 s client run and two client start-ups.
// Long enough for any client start-up on a loaded machine; the test ends the server with SIGTERM (its
// operator stop) once the clients are done, so the time is not spent waiting.
const SERVE_S = '120';

describe('axon bridge --urdf: a vendor URDF served, a policy run against it over the bridge', () => {
  it('serves the robot set up from the manifest (pose, pd, fixed base), runs a policy in another joint order, refuses one that names a joint the robot lacks, and exits 0 when stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-vendor-'));
    const urdf = writeVendorWrist(dir);
    // The policy lists its joints in the file's order; the pose and gains are by that order.
    const policy = zeroPositionPolicy([...WRIST_FILE_JOINTS], { robot: 'acme_wrist', default_joint_pos: [0.3, -0.4, 0.6], pd: { kp: [4, 8, 8], kd: [0.1, 0.2, 0.2] }, fixed_base: true });
    const server = axon(['bridge', '--urdf', urdf, '--manifest', policy, '--port', '0', '--token', TOKEN, '--duration', SERVE_S, '--json'], 60_000);
    const url = await listening(server);
    expect(server.stdout).toContain('axon bridge: acme_wrist from');
    expect(server.stdout).toContain('fixed base, IMU at base_link');

    // Before any commander: the served spec is in tree order with the manifest's gains by name, and the idle robot holds the manifest's pose.
    const observer = await connectBridgeRobot(url, { token: TOKEN, role: 'observe' });
    try {
      expect(observer.spec.joints.map((j) => j.name)).toEqual([...WRIST_TREE_JOINTS]);
      expect(observer.spec.joints.map((j) => j.kp)).toEqual([8, 8, 4]);
      // The hello names the file (by name, never the server's path) and its sha256, so that a client can draw it from its own copy.
      expect(observer.robotFile).toMatchObject({ format: 'urdf', name: basename(urdf), sha256: createHash('sha256').update(readFileSync(urdf)).digest('hex'), fixedBase: true });
      const seq = observer.stateSeq;
      await waitUntil(() => observer.stateSeq > seq + 10, 'state frames');
      const q = Array.from(observer.observe().jointPosition);
      [-0.4, 0.6, 0.3].forEach((want, i) => expect(Math.abs(q[i] - want), `${WRIST_TREE_JOINTS[i]} at ${q[i]}`).toBeLessThan(0.02));
    } finally {
      await observer.close();
    }

    // A policy naming a joint the served robot lacks: refused by the client's model check, exit 2.
    const wrong = zeroPositionPolicy(['wrist_joint', 'shoulder_joint', 'gripper_joint']);
    const refused = axon(['sim', '--robot', url, '--token', TOKEN, '--policy', wrong, '--duration', '1'], 60_000);
    expect(await refused.done).toBe(2);
    expect(refused.stderr).toContain('MODEL_ROBOT_MISMATCH');
    expect(refused.stderr).toContain('gripper_joint');

    const client = axon(['sim', '--robot', url, '--token', TOKEN, '--policy', policy, '--duration', '1', '--json'], 60_000);
    expect(await client.done, client.stderr).toBe(0);
    const run = lastJson(client.stdout);
    // The summary names the served robot; the URL is the bridge's (as a bridged recording's run.robot and run.bridge).
    expect(run).toMatchObject({ command: 'sim', robot: 'acme_wrist', ended_by: 'duration', safety: { state: 'running' } });
    expect(run.ticks).toBeLessThanOrEqual(50); // --duration is wall time on the loop clock: a loaded host's skipped slots are fewer ticks, never a longer run (review R15 F12)
    expect(run.bridge).toMatchObject({ url, engine: 'cannon', reconnects: 0, commands_sent: run.ticks });
    expect(run.episode.note).toContain('no task known for robot "acme_wrist"');

    server.child.kill('SIGTERM');
    expect(await server.done, server.stderr).toBe(0);
    const served = lastJson(server.stdout);
    expect(served).toMatchObject({
      command: 'bridge',
      robot: 'acme_wrist',
      robot_file: urdf,
      joints: [...WRIST_TREE_JOINTS],
      robot_setup: { base: 'fixed', imu_link: 'base_link', gains: 'manifest' },
      physics: 'cannon',
      connections: 3,
      commands: { accepted: run.ticks, rejected: 0 },
      robot_state: 'idle',
    });
    expect(served.state_changes).toMatchObject({ armed: 1, release: 1 });
  });
});

describe('axon bridge --urdf: a file whose name the hello cannot carry', () => {
  it('serves it all the same, without hello.robotFile, after one note that shows the name escaped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-odd-name-'));
    // A backslash (a folder separator elsewhere) and an ESC: a name Linux allows and the hello refuses.
    const urdf = join(dir, 'acme\\wrist\u001b[2J.urdf');
    renameSync(writeVendorWrist(dir), urdf);
    const server = axon(['bridge', '--urdf', urdf, '--fixed-base', '--port', '0', '--token', TOKEN, '--duration', SERVE_S], 60_000);
    const url = await listening(server);
    const observer = await connectBridgeRobot(url, { token: TOKEN, role: 'observe' });
    try {
      expect(observer.robotFile).toBeNull();
      expect(observer.spec.joints.map((j) => j.name)).toEqual([...WRIST_TREE_JOINTS]);
    } finally {
      await observer.close();
    }
    server.child.kill('SIGTERM');
    expect(await server.done, server.stderr).toBe(0);
    expect(server.stderr.split('\n').filter((l) => l.includes('robotFile'))).toEqual([
      "axon bridge: note: the file name \"acme\\wrist\\u001b[2J.urdf\" cannot go in the hello's robotFile (it must be a file name without any folder (no / or \\) and no control or bidi characters): served without it, so a client draws the robot from its own --urdf FILE unchecked",
    ]);
  });
});

describe('axon bridge --mjcf: a menagerie-style MJCF served in MuJoCo', () => {
  it('serves the model with --init-pose over its qpos0, runs a policy over the bridge, exits 0 when stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-mjcf-'));
    const hand = writeMenagerieHand(dir);
    const policy = zeroPositionPolicy(['thj1', 'ffj0', 'thj0', 'ffj1'], { robot: 'allegro_right' });
    const server = axon(['bridge', '--mjcf', hand.file, '--init-pose', 'thj0=0.5', '--port', '0', '--token', TOKEN, '--duration', SERVE_S, '--json'], 60_000);
    const url = await listening(server);
    expect(server.stdout).toContain('(simulated in MuJoCo, 4 joints');
    const client = axon(['sim', '--robot', url, '--token', TOKEN, '--policy', policy, '--duration', '1', '--json'], 60_000);
    expect(await client.done, client.stderr).toBe(0);
    const run = lastJson(client.stdout);
    expect(run).toMatchObject({ ended_by: 'duration', safety: { state: 'running' } });
    expect(run.ticks).toBeLessThanOrEqual(50); // --duration is wall time on the loop clock: a loaded host's skipped slots are fewer ticks, never a longer run (review R15 F12)
    expect(run.bridge).toMatchObject({ engine: 'mujoco', reconnects: 0, commands_sent: run.ticks });
    server.child.kill('SIGTERM');
    expect(await server.done, server.stderr).toBe(0);
    const served = lastJson(server.stdout);
    expect(served).toMatchObject({ physics: 'mujoco', robot_file: hand.file, joints: hand.joints, commands: { accepted: run.ticks, rejected: 0 }, robot_state: 'idle' });
    expect(served.robot_setup).toMatchObject({ base: 'fixed', pose: '--init-pose (1 joint) over qpos0', gains: { model: 4 } });
  });
});

/**
 * A vendor's robot and policy with no code (issue 16), end to end through the real CLI: the files
 * a vendor ships (URDF + STL meshes, Isaac Lab deploy.yaml + policy.onnx) are written to a temp
 * folder, and everything else is `node bin/axon.js` as a user would type it: import the policy,
 * inspect it against the URDF, run it; look at a robot with no policy; a simulation that blows up
 * ends as an invalid run (exit 3, state_watchdog event); bad flags exit 2 naming the flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { writeVendorArm, type VendorArm } from '../helpers/vendorArm.ts';
import { writeVendorDeploy, writeVendorOnnx } from '../helpers/vendorDeploy.ts';
import { writeVendorHumanoid, type VendorHumanoid } from '../helpers/vendorHumanoid.ts';
import { axon } from '../helpers/cli.ts';

/** Exit code of a run whose simulation left a sane state (src/cli/exitCodes.ts EXIT_INVALID_RUN). */
const EXIT_INVALID_RUN = 3;


/** The --json summary (last line of stdout). */
function summary(r: ReturnType<typeof axon>) {
  expect(r.lastLine.startsWith('{'), `no JSON summary; stderr:\n${r.stderr}`).toBe(true);
  return JSON.parse(r.lastLine);
}

let dir: string;
let humanoid: VendorHumanoid;
let arm: VendorArm;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'axon-vendor-robot-'));
  humanoid = writeVendorHumanoid(dir);
  arm = writeVendorArm(dir);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a vendor humanoid and its Isaac Lab policy, from the files to a run', () => {
  it('manifest from-deploy, inspect --urdf and sim --urdf --policy --command run with no code', () => {
    const deploy = writeVendorDeploy(join(dir, 'params'));
    const onnx = writeVendorOnnx(join(dir, 'policy.onnx'));
    const model = join(dir, 'model');
    const imported = axon('manifest', 'from-deploy', deploy.path, '--onnx', onnx, '--urdf', humanoid.urdf, '--out', model);
    expect(imported.code, imported.stderr).toBe(0);

    const inspected = axon('inspect', model, '--urdf', humanoid.urdf);
    expect(inspected.code, inspected.stdout + inspected.stderr).toBe(0);

    const r = axon('sim', '--urdf', humanoid.urdf, '--policy', model, '--command', '0.5,0,0', '--physics-hz', '200', '--duration', '1', '--fast', '--json');
    // 3 would mean the state watchdog ended the run: it must not, on the vendor's own gains.
    expect(r.code, r.stderr).toBe(0);
    const s = summary(r);
    expect(s.policy).toBe(model);
    expect(s.ticks).toBe(50); // 1 s at the deploy's 50 Hz
    expect(s.velocity_command).toEqual([0.5, 0, 0]);
    expect(s.robot_setup).toMatchObject({ base: 'floating', imu_link: 'imu_in_pelvis', pd: 'implicit', gains: 'manifest' });
    // The stand outcome of a floating URDF robot (the tiny test policy is no walker: it may fall).
    expect(typeof s.episode.fell).toBe('boolean');
    expect(s.episode.base_height_start).toBeGreaterThan(0.5);
    expect(s.episode.base_height_min).toBeGreaterThanOrEqual(0);
    expect(s.episode.base_height_min).toBeLessThanOrEqual(s.episode.base_height_start);
    expect(s.episode.base_displacement).toHaveLength(2);
    expect(s.episode.invalid).toBeUndefined();
    expect(s.safety.events.state_watchdog).toBeUndefined();
    expect(r.stderr).not.toContain('has no pd');

    // The same model without pd (an importer that found no gains): inspect and sim agree that it runs on the default gains, and both say so.
    const bare = join(dir, 'model-no-pd');
    mkdirSync(bare);
    const { pd: _pd, ...withoutPd } = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    writeFileSync(join(bare, 'manifest.json'), JSON.stringify(withoutPd));
    copyFileSync(join(model, 'policy.onnx'), join(bare, 'policy.onnx'));
    const i2 = axon('inspect', bare, '--urdf', humanoid.urdf);
    expect(i2.code, i2.stdout + i2.stderr).toBe(0);
    expect(i2.stdout).toContain("PD gains for position actions: axon's default rule (kp = 10 × effort limit");
    expect(i2.stdout).toContain('warning: manifest.json#/pd: absent, so axon sim --urdf runs the policy on its default gains');
    expect(i2.stdout).not.toContain('NO POSITION GAIN');
    const r2 = axon('sim', '--urdf', humanoid.urdf, '--policy', bare, '--physics-hz', '200', '--duration', '0.2', '--fast', '--json');
    expect(r2.code, r2.stderr).toBe(0);
    expect(summary(r2).robot_setup.gains).toMatch(/^kp = 10 × effort limit/);
    expect(r2.stderr).toContain(`axon: note: ${bare}'s manifest has no pd: the policy runs on axon's default gains`);
  });
});

describe('look first: a URDF robot with no policy holds its default pose', () => {
  it('a base_lin_vel term is read at the centre of mass, as Isaac Lab trained it, in both engines', () => {
    const term = 'observations:\n  base_lin_vel:\n    params: {}\n    clip: null\n    scale: [2.0, 2.0, 2.0]\n    history_length: 5\n';
    const deploy = writeVendorDeploy(join(dir, 'params-linvel'), { edits: [['observations:\n', term]] });
    const onnx = writeVendorOnnx(join(dir, 'policy-linvel.onnx'), 480 + 15);
    const model = join(dir, 'model-linvel');
    const imported = axon('manifest', 'from-deploy', deploy.path, '--onnx', onnx, '--urdf', humanoid.urdf, '--out', model);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')).observation.terms[0]).toEqual({ term: 'base_lin_vel', scale: 2, history: 5, point: 'com' });
    expect(axon('inspect', model).stdout).toMatch(/\[0\.\.14\] base_lin_vel scale 2 clip - history 5, at the base body's centre of mass/);
    for (const physics of ['cannon', 'mujoco']) {
      const mcap = join(dir, `linvel-${physics}.mcap`);
      const r = axon('sim', '--urdf', humanoid.urdf, '--physics', physics, '--policy', model, '--physics-hz', '200', '--duration', '0.2', '--fast', '--record', mcap, '--json');
      expect(r.code, `${physics}: ${r.stderr}`).toBe(0);
      expect(summary(r).ticks).toBe(10);
      // the recording keeps the centre of mass's velocity: the same policy replays with no difference
      const replayed = axon('replay', mcap, '--policy', model, '--json');
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(summary(replayed).policy_diff).toMatchObject({ ticks: 10, max: 0 });
    }
  });

  it('the arm on --fixed-base stays within 0.05 rad of its default pose for 2 s (read back from the recording)', async () => {
    const file = join(dir, 'arm.mcap');
    const r = axon('sim', '--urdf', arm.urdf, '--fixed-base', '--duration', '2', '--fast', '--record', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = summary(r);
    expect(s.policy).toBeNull();
    expect(s.robot_setup).toMatchObject({ base: 'fixed', pd: 'implicit' });
    expect(s.episode.fell).toBeUndefined(); // no stand outcome for a fixed base
    expect(s.record).toMatchObject({ ticks: 100, dropped: 0 });

    const rec = await readRecording(file);
    expect(rec.truncated).toBe(false);
    expect(rec.ticks).toHaveLength(100);
    const joints = rec.spec!.joints;
    expect(joints.map((j) => j.name)).toEqual(arm.joints);
    for (const j of joints) expect(j.defaultPosition).toBe(arm.defaultPose[j.name]);
    let worst = 0;
    for (const t of rec.ticks)
      t.observation.jointPosition.forEach((q, i) => {
        const d = Math.abs(q - joints[i].defaultPosition);
        expect(Number.isFinite(d)).toBe(true);
        if (d > worst) worst = d;
      });
    expect(worst).toBeLessThan(0.05);
    // the summary's pose figure is the same worst offset the recording holds
    expect(s.episode.pose_offset.max).toBeCloseTo(worst, 4);
    expect(arm.joints).toContain(s.episode.pose_offset.joint);
    expect(r.stdout).not.toContain('pose:'); // --json prints the summary only
  });

  it('the arm as a CAD exporter writes it (effort="0" velocity="0" on every joint) is driven and holds its pose, with one note; --strict refuses it', () => {
    const file = join(dirname(arm.urdf), 'arm_sw_export.urdf');
    const xml = readFileSync(arm.urdf, 'utf8').replace(/effort="[^"]*" velocity="[^"]*"/g, 'effort="0" velocity="0"');
    expect(xml).toContain('effort="0" velocity="0"');
    writeFileSync(file, xml);
    const r = axon('sim', '--urdf', file, '--fixed-base', '--duration', '2', '--fast', '--json');
    expect(r.code, r.stderr).toBe(0);
    // Read literally every joint would be passive (no gains) and the arm would sag under gravity.
    expect(summary(r).episode.pose_offset.max).toBeLessThan(0.05);
    const zero = r.stderr.split('\n').filter((l) => l.includes('URDF_LIMIT_ZERO'));
    expect(zero).toHaveLength(1);
    expect(zero[0]).toContain(`(and ${arm.joints.length - 1} more joints likewise)`);
    const strict = axon('describe', file, '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain('effort="0" velocity="0"');
  });

  it("the arm with its root's mass written 0 (pybullet's static base) is fixed to the world, with notes, in both engines", () => {
    const text = readFileSync(arm.urdf, 'utf8');
    const file = join(dirname(arm.urdf), 'arm_static.urdf'); // beside the original: the mesh paths resolve the same
    const massless = text.replace(/(<link name="base_link">[\s\S]*?<mass value=")[^"]*(")/, '$10.0$2');
    expect(massless).not.toBe(text);
    writeFileSync(file, massless);
    for (const physics of ['cannon', 'mujoco']) {
      const r = axon('sim', '--urdf', file, '--physics', physics, '--duration', '1', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(summary(r).robot_setup.base).toBe('fixed');
      expect(r.stderr).toContain('note URDF_ROOT_MASSLESS');
      expect(r.stderr).toContain('note SIM_FIXED_BASE');
    }
  });

  it('the same arm without --fixed-base has no world link, so it floats: it runs and reports a stand outcome', () => {
    const r = axon('sim', '--urdf', arm.urdf, '--duration', '2', '--fast', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = summary(r);
    expect(s.robot_setup.base).toBe('floating');
    // What a user sees (seed 1): the arm sits on the ground (base height 0), tips a little and stays up.
    expect(typeof s.episode.fell).toBe('boolean');
    expect(s.episode.base_height_start).toBeTypeOf('number');
    expect(s.episode.base_displacement).toHaveLength(2);
    expect(s.safety.events.state_watchdog).toBeUndefined();
  });
});

describe('axon describe ROBOT.urdf', () => {
  it('says which link the IMU is read on, as sim --urdf picks it (text and --json)', () => {
    const r = axon('describe', humanoid.urdf);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[1]).toBe('IMU: imu_in_pelvis (link named imu* fixed to the base), as axon sim --urdf reads it without --imu-link');
    const j = JSON.parse(axon('describe', humanoid.urdf, '--json').lastLine);
    expect(j).toMatchObject({ floating_base: true, imu: { link: 'imu_in_pelvis' } });
    // --urdf-package-path before the file takes one folder, not the file too (it was variadic)
    const first = axon('describe', '--urdf-package-path', dir, '--urdf-package-path', tmpdir(), humanoid.urdf);
    expect(first.code, first.stderr).toBe(0);
  });
});

describe('a vendor humanoid without armature', () => {
  it('falls on the default gains, and the run says what to try: the training\'s armature', () => {
    const bare = axon('sim', '--urdf', humanoid.urdf, '--physics-hz', '200', '--duration', '2', '--fast', '--json');
    expect(bare.code, bare.stderr).toBe(0);
    const s = summary(bare);
    expect(s.robot_setup.armature).toBe('none');
    expect(s.episode.fell).toBe(true);
    expect(bare.stderr).toMatch(/axon: hint: the robot fell; no joint armature is set \(the URDF carries none\) and \d+ moving bod(y is|ies are) below 0\.0001 kg·m² .* --armature/);
    const held = axon('sim', '--urdf', humanoid.urdf, '--armature', '0.01', '--physics-hz', '200', '--duration', '2', '--fast', '--json');
    expect(held.code, held.stderr).toBe(0);
    expect(summary(held).robot_setup.armature).toBe('flags');
    expect(held.stderr).not.toContain('hint');
  });
});

describe('a simulation that blows up', () => {
  it('ends as an invalid run: exit 3, episode.invalid and a state_watchdog event in the summary', () => {
    // Explicit PD (the torque computed from the step's start velocity) on the humanoid's light
    // links: the ankle pitch and wrist roll links have ~1e-5 kg·m² about their axes, so at 200 Hz
    // the damping term alone has kd·dt/I = 10 · 0.005 / 1e-5 = 5000, far past the explicit
    // integrator's bound of 2: the velocity flips sign and grows ×~5000 each step. The watchdog
    // catches a joint over 10 × its velocity limit within the first ticks.
    const r = axon('sim', '--urdf', humanoid.urdf, '--pd', 'explicit', '--kd', '10', '--physics-hz', '200', '--duration', '2', '--fast', '--json');
    expect(r.code, r.stderr).toBe(EXIT_INVALID_RUN);
    const s = summary(r);
    expect(s.robot_setup).toMatchObject({ pd: 'explicit', gains: 'flags' });
    expect(s.episode.invalid).toMatch(/joint \w+ moves at/);
    expect(s.safety.events.state_watchdog).toBeGreaterThanOrEqual(1);
    expect(s.safety.state).not.toBe('running');
    expect(s.ticks).toBeLessThan(100); // ended early, not after its 2 s
    expect(r.stderr).toContain('axon: hint: the simulation was stopped; '); // and what to try
    expect(r.stderr).toContain('explicit PD cannot hold such bodies at 200-500 Hz (docs/simulation.md): leave out --pd explicit');
  });
});

describe('bad input exits 2 naming the flag', () => {
  it('--init-pose with a joint the robot lacks lists the joints it has', () => {
    const r = axon('sim', '--urdf', humanoid.urdf, '--init-pose', 'nosuchjoint=1', '--duration', '0.1', '--fast');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--init-pose');
    expect(r.stderr).toContain('nosuchjoint');
    for (const j of humanoid.sdkJoints) expect(r.stderr).toContain(j);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--fixed-base without --urdf', () => {
    // With a policy: without one, the missing --policy is reported first (see the report).
    const r = axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--fixed-base', '--duration', '0.1', '--fast');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--fixed-base');
    expect(r.stderr).toContain('--urdf');
  });

  it('--imu-link naming no link of the URDF', () => {
    const r = axon('sim', '--urdf', humanoid.urdf, '--imu-link', 'nolink', '--duration', '0.1', '--fast');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--imu-link');
    expect(r.stderr).toContain('nolink');
    expect(r.stderr).toContain('imu_in_pelvis');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

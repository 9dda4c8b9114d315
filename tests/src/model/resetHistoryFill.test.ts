/**
 * history_fill "reset": a term's history as unitree's C++ controllers fill it (unitree_rl_lab's and
 * unitree_rl_mjlab's deploy/, as their forks hold it). The controller is written out below in float32
 * and compared with axon's model input value for value over the first steps after a reset:
 *
 *   State_RLBase::enter():  robot->update(); policy thread: env->reset(); loop { env->step(); sleep step_dt }
 *   ManagerBasedRLEnv::reset(): global_phase = 0; episode_length = 0; robot->update();
 *                               action_manager->reset()        // _action = zeros
 *                               observation_manager->reset()   // each term: term.reset(term.func(env))
 *   ManagerBasedRLEnv::step():  robot->update(); obs = observation_manager->compute(); action = policy(obs)
 *   ObservationTermCfg::reset(obs): history_length times add(obs)
 *   ObservationTermCfg::add(obs):   clip, then scale; buff_.push_back(obs); pop_front past history_length
 *   compute_group: per term, add(func(env)), then the term's deque oldest first, terms in file order
 *   unitree::BaseArticulation::update(): joint_pos[i] = motor_state[joint_ids_map[i]].q, dq likewise;
 *                               root_ang_vel_b = imu gyroscope; projected_gravity_b = q* · (0, 0, −1)
 *   gait_phase(): global_phase = fmod(global_phase + step_dt / period, 1); [sin 2πφ, cos 2πφ]
 *
 * The reset and the first step read the same low-state message (nothing sleeps between them), so
 * joint and IMU terms hold the same value in both; last_action is zeros in both; gait_phase is read
 * one step apart (k = 1 at the reset, 2 on the first step). axon's "reset" fill gives the history
 * those values; "first" (the default, Isaac Lab's) copies the first step's into every slot.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createObservation, type Observation, type RobotSpec } from '../../../src/core/robot.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ManifestError, validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import { manifestFromDeploy, parseDeployYaml } from '../../../src/model/importers/deploy.ts';
import { joint, manifest, spec } from '../../helpers/fakes.ts';
import { GO2_MJCF_JOINTS, GO2_SDK_JOINTS } from '../../helpers/unitreeMjlab.ts';

const f = Math.fround;

/** One low-state message as the controller reads it: motor order, quaternion w, x, y, z. */
interface LowState {
  q: number[];
  dq: number[];
  gyro: [number, number, number];
  quat: [number, number, number, number];
  joystick: [number, number, number];
}

interface CtrlTerm {
  name: 'base_ang_vel' | 'projected_gravity' | 'velocity_commands' | 'gait_phase' | 'joint_pos' | 'joint_pos_rel' | 'joint_vel_rel' | 'last_action';
  scale: number[];
  history: number;
}

/** unitree's ManagerBasedRLEnv with its ObservationManager and one ObservationTermCfg deque per term. */
class UnitreeController {
  private globalPhase = f(0);
  private action: number[];
  private jointPos: number[] = [];
  private jointVel: number[] = [];
  private gyro: number[] = [];
  private gravity: number[] = [];
  private cmd: number[] = [];
  private readonly buffs: number[][][];

  constructor(
    private readonly terms: CtrlTerm[],
    private readonly jointIdsMap: number[],
    private readonly defaults: number[],
    private readonly stepDt: number,
    private readonly period: number,
    nAct: number,
  ) {
    this.action = new Array(nAct).fill(0);
    this.buffs = terms.map(() => []);
  }

  private update(low: LowState): void {
    this.jointPos = this.jointIdsMap.map((m) => f(low.q[m]));
    this.jointVel = this.jointIdsMap.map((m) => f(low.dq[m]));
    this.gyro = low.gyro.map(f);
    const [w, x, y, z] = low.quat;
    // conj(q) · (0, 0, −1) = −(third row of R(q))
    this.gravity = [f(-2 * (x * z - w * y)), f(-2 * (y * z + w * x)), f(-(1 - 2 * (x * x + y * y)))];
    this.cmd = low.joystick.map(f);
  }

  private func(t: CtrlTerm): number[] {
    switch (t.name) {
      case 'base_ang_vel':
        return [...this.gyro];
      case 'projected_gravity':
        return [...this.gravity];
      case 'velocity_commands':
        return [...this.cmd];
      case 'joint_pos':
        return [...this.jointPos];
      case 'joint_pos_rel':
        return this.jointPos.map((q, i) => f(q - f(this.defaults[i])));
      case 'joint_vel_rel':
        return [...this.jointVel];
      case 'last_action':
        return [...this.action];
      case 'gait_phase': {
        this.globalPhase = f(f(this.globalPhase + f(f(this.stepDt) * f(1 / f(this.period)))) % 1);
        return [f(Math.sin(this.globalPhase * 2 * Math.PI)), f(Math.cos(this.globalPhase * 2 * Math.PI))];
      }
    }
  }

  /** ObservationTermCfg::add (no clip in these files: scale only). */
  private add(i: number, obs: number[]): void {
    const t = this.terms[i];
    this.buffs[i].push(obs.map((v, j) => f(v * f(t.scale.length === 1 ? t.scale[0] : t.scale[j]))));
    if (this.buffs[i].length > t.history) this.buffs[i].shift();
  }

  reset(low: LowState): void {
    this.globalPhase = f(0);
    this.update(low);
    this.action = this.action.map(() => 0);
    this.terms.forEach((t, i) => {
      const v = this.func(t);
      for (let h = 0; h < t.history; h++) this.add(i, v);
    });
  }

  /** step() up to the policy's input; `act` then stores the policy's action. */
  input(low: LowState): number[] {
    this.update(low);
    this.terms.forEach((t, i) => this.add(i, this.func(t)));
    return this.buffs.flatMap((b) => b.flat());
  }

  act(a: number[]): void {
    this.action = a.map(f);
  }
}

/** axon's observation of a low-state message on a robot whose joints are in the SDK (motor) order. */
function observe(robot: RobotSpec, low: LowState): Observation {
  const o = createObservation(robot);
  o.jointPosition.set(low.q);
  o.jointVelocity.set(low.dq);
  const [w, x, y, z] = low.quat;
  o.imu!.orientation.set([x, y, z, w]);
  o.imu!.angularVelocity.set(low.gyro);
  return o;
}

/** A low-state message that moves with `t`: every joint, the gyro and the base's roll and pitch differ from one to the next. */
function lowState(n: number, t: number): LowState {
  const roll = 0.05 * Math.sin(1.3 * t + 0.2), pitch = -0.04 * Math.cos(0.7 * t);
  const [cr, sr, cp, sp] = [Math.cos(roll / 2), Math.sin(roll / 2), Math.cos(pitch / 2), Math.sin(pitch / 2)];
  return {
    q: Array.from({ length: n }, (_, m) => 0.3 * Math.sin(t + 0.7 * m) - 0.1 * m),
    dq: Array.from({ length: n }, (_, m) => 1.5 * Math.cos(2 * t + m)),
    gyro: [0.4 * Math.sin(t), -0.3 * Math.cos(t), 0.2 * Math.sin(3 * t)],
    quat: [cr * cp, sr * cp, cr * sp, -sr * sp],
    joystick: [0.5, 0, 0.2],
  };
}

const policyAction = (n: number, step: number) => Array.from({ length: n }, (_, i) => 0.4 * Math.sin(step + 0.9 * i) - 0.1);

/** Runs both for `steps` steps after a reset from `lows[0]`; returns each step's inputs. */
function run(b: ObservationBuilder, robot: RobotSpec, ctrl: UnitreeController, lows: LowState[], nAct: number) {
  b.reset();
  ctrl.reset(lows[0]); // the reset and the first step read the same low-state message
  let last = new Float32Array(nAct); // axon's mapper feeds back zeros after a reset
  return lows.map((low, k) => {
    b.velocityCommand.set(low.joystick);
    const got = Array.from(b.build(observe(robot, low), last));
    const want = ctrl.input(low);
    const a = policyAction(nAct, k);
    ctrl.act(a);
    last = new Float32Array(a);
    return { got, want };
  });
}

describe('history_fill "reset": the history as unitree\'s C++ controller fills it', () => {
  // Model order a, b, c; the robot (and the SDK) lists them c, a, b: joint_ids_map = [1, 2, 0].
  const model = ['a', 'b', 'c'];
  const sdk = ['c', 'a', 'b'];
  const jointIdsMap = model.map((j) => sdk.indexOf(j));
  const robot = spec(sdk.map((n) => joint(n, { lower: -3, upper: 3 })), true);
  const terms: CtrlTerm[] = [
    { name: 'base_ang_vel', scale: [0.25], history: 1 },
    { name: 'velocity_commands', scale: [1], history: 1 },
    { name: 'gait_phase', scale: [1], history: 3 },
    { name: 'joint_pos', scale: [2, 1, 0.5], history: 2 },
    { name: 'last_action', scale: [1], history: 2 },
  ];
  const m = (fill: 'reset' | 'first' | undefined) =>
    validateManifest(
      manifest({
        joints: model,
        control_hz: 50,
        observation: {
          terms: [
            { term: 'base_ang_vel', scale: 0.25 },
            { term: 'velocity_commands' },
            { term: 'gait_phase', period: 0.6, count_from: 2, history: 3 },
            { term: 'joint_pos', scale: [2, 1, 0.5], history: 2 },
            { term: 'last_action', history: 2 },
          ],
          history_order: 'oldest_first',
          history_layout: 'per_term',
          ...(fill ? { history_fill: fill } : {}),
        },
      }),
    );
  const controller = () => new UnitreeController(terms, jointIdsMap, [0, 0, 0], 0.02, 0.6, 3);
  const lows = [0, 1, 2].map((k) => lowState(3, 0.02 * k));

  it('gives the controller\'s input for the first 3 steps, value for value, and again after a re-arm', () => {
    const b = new ObservationBuilder(m('reset'), robot);
    const ctrl = controller();
    for (const [episode, from] of [[0, lows], [1, [3, 4, 5].map((k) => lowState(3, 0.02 * k))]] as const) {
      const steps = run(b, robot, ctrl, [...from], 3);
      steps.forEach(({ got, want }, k) => {
        expect(got.length, `episode ${episode}, step ${k}`).toBe(want.length);
        // The controller sums the phase in float32; axon computes k·dt in double: 1e-6 apart at most here.
        for (let i = 0; i < want.length; i++) expect(got[i], `episode ${episode}, step ${k}, input[${i}]`).toBeCloseTo(want[i], 5);
      });
    }
    // Read out: [ω·0.25 (3), cmd (3), gait k=1 | k=1 | k=2 on step 1 (6), joint_pos (2 × 3), last_action (2 × 3)].
    const [s1, s2, s3] = run(b, robot, controller(), lows, 3).map((s) => s.got);
    const phase = (k: number) => [Math.sin((2 * Math.PI * k * 0.02) / 0.6), Math.cos((2 * Math.PI * k * 0.02) / 0.6)];
    expect(s1.slice(6, 12).map((v) => Number(v.toFixed(5)))).toEqual([...phase(1), ...phase(1), ...phase(2)].map((v) => Number(v.toFixed(5))));
    expect(s2.slice(6, 12).map((v) => Number(v.toFixed(5)))).toEqual([...phase(1), ...phase(2), ...phase(3)].map((v) => Number(v.toFixed(5))));
    expect(s3.slice(6, 12).map((v) => Number(v.toFixed(5)))).toEqual([...phase(2), ...phase(3), ...phase(4)].map((v) => Number(v.toFixed(5))));
    // joint_pos of model joint a (motor 1) on step 1: the reset's value then the step's, the same low-state.
    expect(s1[12]).toBeCloseTo(s1[15], 6);
    expect(s1[12]).toBeCloseTo(2 * lows[0].q[1], 5);
    expect(s2[12]).toBeCloseTo(2 * lows[0].q[1], 5);
    expect(s2[15]).toBeCloseTo(2 * lows[1].q[1], 5);
  });

  it('"first" (the default) is not the controller: its gait history starts at k = 2, not k = 1', () => {
    for (const fill of ['first', undefined] as const) {
      const [s1] = run(new ObservationBuilder(m(fill), robot), robot, controller(), lows, 3);
      expect(s1.got[6]).toBeCloseTo(Math.sin((2 * Math.PI * 2 * 0.02) / 0.6), 5);
      expect(s1.want[6]).toBeCloseTo(Math.sin((2 * Math.PI * 1 * 0.02) / 0.6), 5);
    }
  });

  it('refuses a history_fill it does not know, naming the field and the values it takes', () => {
    const bad = { ...m('reset'), observation: { ...m('reset').observation, history_fill: 'reset_time' } };
    const e = (() => {
      try {
        validateManifest(bad as unknown as ModelManifest, 'manifest.json');
      } catch (err) {
        return err as ManifestError;
      }
    })();
    expect(e).toBeInstanceOf(ManifestError);
    expect(e!.code).toBe('MANIFEST_FIELD');
    expect(e!.message).toBe('manifest.json#/observation/history_fill: is "reset_time" (expected one of first, zeros, reset)');
  });
});

describe('from-deploy writes history_fill "reset" for unitree\'s controller', () => {
  const text = readFileSync('tests/fixtures/unitree-rl-mjlab/go2-phase-deploy.yaml', 'utf8');
  const opts = { sdkJoints: GO2_SDK_JOINTS, sdkSource: '--sdk-joints', name: 'go2', robot: 'go2', onnx: { file: 'policy.onnx', input: 'obs', output: 'actions' } };

  it('on the Go2 deploy.yaml as shipped (every history 1)', () => {
    const { manifest: m } = manifestFromDeploy(parseDeployYaml(text, 'deploy.yaml').cfg, opts, 'deploy.yaml');
    expect(m.observation.history_fill).toBe('reset');
  });

  it('with the gait clock kept 3 steps and the joints 2, the imported manifest gives the controller\'s input for 3 steps (SDK order FR, FL, RR, RL; model FL, FR, RL, RR)', () => {
    // The same file with longer histories (the controller reads history_length per term).
    const longer = text
      .replace(/(gait_phase:\n(?:.*\n){3}    history_length:) 1/, '$1 3')
      .replace(/(joint_pos_rel:\n(?:.*\n){3}    history_length:) 1/, '$1 2');
    expect(longer).not.toBe(text);
    const { manifest: m, notes } = manifestFromDeploy(parseDeployYaml(longer, 'deploy.yaml').cfg, opts, 'deploy.yaml');
    expect(m.observation.terms.map((t) => t.history ?? 1)).toEqual([1, 1, 1, 3, 2, 1, 1]);
    expect(notes).toContain('deploy.yaml: observations: gait_phase, joint_pos_rel keep a history; after a reset it holds each term as unitree\'s C++ controller evaluates it in ObservationManager::reset() (last_action zeros, gait_phase one step into the cycle), the first step\'s value after it (history_fill "reset")');
    const jointIdsMap = [3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]; // the file's
    expect(GO2_MJCF_JOINTS.map((j) => GO2_SDK_JOINTS.indexOf(j))).toEqual(jointIdsMap);
    const defaults = [-0.1, 0.9, -1.8, 0.1, 0.9, -1.8, -0.1, 0.9, -1.8, 0.1, 0.9, -1.8];
    const ctrl = new UnitreeController(
      [
        { name: 'base_ang_vel', scale: [1], history: 1 },
        { name: 'projected_gravity', scale: [1], history: 1 },
        { name: 'velocity_commands', scale: [1], history: 1 },
        { name: 'gait_phase', scale: [1], history: 3 },
        { name: 'joint_pos_rel', scale: [1], history: 2 },
        { name: 'joint_vel_rel', scale: [1], history: 1 },
        { name: 'last_action', scale: [1], history: 1 },
      ],
      jointIdsMap,
      defaults,
      0.02,
      0.6,
      12,
    );
    const robot = spec(GO2_SDK_JOINTS.map((n) => joint(n, { lower: -3, upper: 3 })), true);
    const b = new ObservationBuilder(m, robot);
    const steps = run(b, robot, ctrl, [0, 1, 2].map((k) => lowState(12, 0.02 * k)), 12);
    steps.forEach(({ got, want }, k) => {
      expect(got.length).toBe(3 + 3 + 3 + 6 + 24 + 12 + 12);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i], `step ${k}, input[${i}]`).toBeCloseTo(want[i], 5);
    });
  });
});

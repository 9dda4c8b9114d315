/**
 * `axon sim2sim`: the same policy, seed and initial state in cannon-es and in MuJoCo, through the
 * same loop and safety; per joint and for the base, how far the two runs drift apart over time
 * (RMS, max, first time over a threshold), each engine's outcome, and an exit code that says
 * whether the outcomes agree (0 agree, 1 disagree, 2 bad input): a CI check for a policy.
 * Part of the composition root: it knows sim/ (and imports MuJoCo's side only when it runs).
 */
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { EXIT_FAILED } from '../exitCodes.ts';
import { createSimRobot, createTask, FreeRunTask, randomize, robotNames, Rng } from '../../../sim/index.ts';
import { openSimSession } from '../../../sim/session/index.ts';
import { StandTask } from '../../../sim/tasks/stand.ts';
import { UsageError } from '../../core/errors.ts';
import type { JointCommand, Observation, SimulatedRobot } from '../../core/robot.ts';
import type { Task } from '../../core/task.ts';
import { loadModelFolder } from '../../model/manifest.ts';
import { parseVelocityCommand } from '../../loop/VelocityCommand.ts';
import { positiveNumber, seedInt, repeated, physicsRate } from '../args.ts';
import { round, safetySummary } from '../summary.ts';
import { urdfRobot, urdfSetup } from '../urdfSession.ts';
import { refuseOrphans, refuseUnreadCommand } from '../companions.ts';
import { RANDOMIZE_SHIPPED_ONLY } from './eval.ts';

export type Engine = 'cannon' | 'mujoco';
export const ENGINES: readonly Engine[] = ['cannon', 'mujoco'];

export interface Sim2SimOptions {
  readonly policy: string;
  readonly robot?: string;
  readonly urdf?: string;
  readonly urdfPackagePaths?: readonly string[];
  readonly command?: readonly [number, number, number];
  /** Simulated seconds; default the task's episode length. */
  readonly durationS?: number;
  readonly seed: number;
  readonly physicsHz: number;
  readonly randomize?: boolean;
  /** Divergence thresholds: joint (rad | m) and base position (m). */
  readonly jointThreshold: number;
  readonly baseThreshold: number;
  /** A deliberate fault for testing the check: this engine sees `joint` with its sign flipped. */
  readonly flipSign?: { readonly engine: Engine; readonly joint: string };
}

interface Trace {
  readonly n: number;
  readonly q: Float64Array[]; // per tick, joint positions
  readonly base: Float64Array[]; // per tick, base x y z
  readonly time: number[];
}

export interface EngineOutcome {
  success: boolean;
  terminated: boolean;
  steps: number;
  return: number;
  invalid?: string;
  metrics?: Record<string, unknown>;
  safety_events: Record<string, number>;
}

export interface Divergence {
  rms: number;
  max: number;
  /** Sim time (s) the difference first exceeded the threshold; null: never. */
  first_over_s: number | null;
}

export interface Sim2SimReport {
  command: 'sim2sim';
  robot: string;
  policy: string;
  seed: number;
  duration_s: number;
  physics_hz: number;
  randomize: boolean;
  threshold: { joint: number; base_m: number };
  engines: Record<Engine, EngineOutcome>;
  agree: boolean;
  /** Why they disagree (empty when they agree). */
  disagreement: string[];
  ticks_compared: number;
  joints: ({ name: string } & Divergence)[];
  worst_joint: { name: string } & Divergence;
  base: { position: Divergence };
  flip_sign?: { engine: Engine; joint: string };
}

/** Runs the comparison (both engines one after the other, in this process). */
export async function sim2sim(o: Sim2SimOptions): Promise<Sim2SimReport> {
  if ((o.robot === undefined) === (o.urdf === undefined)) throw new UsageError('--robot', o.robot ? 'and --urdf were both given' : 'or --urdf is required', 'one robot: a shipped one by name or a URDF file');
  if (o.robot !== undefined && !robotNames().includes(o.robot)) throw new UsageError('--robot', `unknown robot "${o.robot}"`, `one of ${robotNames().join(', ')}`);
  // No randomiser for a URDF robot yet: refused, never reported as randomised (the CLI refuses it first, RANDOMIZE_SHIPPED_ONLY).
  if (o.urdf !== undefined && o.randomize) throw new UsageError('--randomize', 'only applies with a shipped robot; the robot of --urdf has no randomisation yet (nothing would be drawn)', '--robot cartpole|pendulum|humanoid|arm, or no --randomize');
  const folder = loadModelFolder(o.policy);
  const traces = {} as Record<Engine, Trace>;
  const outcomes = {} as Record<Engine, EngineOutcome>;
  let jointNames: string[] = [];
  let durationS = 0;
  for (const engine of ENGINES) {
    const { robot, task } = await buildRobot(engine, o, folder.manifest);
    jointNames = robot.spec.joints.map((j) => j.name);
    const flip = o.flipSign?.engine === engine ? jointNames.indexOf(o.flipSign.joint) : -1;
    if (o.flipSign?.engine === engine && flip < 0) throw new UsageError('--flip-sign', `names "${o.flipSign.joint}", which is not a moving joint of ${robot.spec.name}`, jointNames.join(', '));
    const simRobot = flip >= 0 ? new SignFlipRobot(robot, flip) : robot;
    const session = await openSimSession(
      { robot: o.robot ?? '(urdf)', policy: o.policy, physicsHz: o.physicsHz, physics: engine, ...(o.command ? { velocityCommand: o.command } : {}) },
      { robot: simRobot, task },
    );
    durationS = o.durationS ?? task.episodeS;
    const n = jointNames.length;
    const trace: Trace = { n, q: [], base: [], time: [] };
    try {
      const r = await session.runEpisode({ seed: o.seed, randomize: false, durationS, continueAfterTerminate: true }, (loop) => {
        loop.records$.subscribe((rec) => record(trace, rec.observation, rec.time));
      });
      outcomes[engine] = {
        success: r.success,
        terminated: !session.task.success,
        steps: r.steps,
        return: round(r.episodeReturn, 4),
        ...(r.invalid !== undefined ? { invalid: r.invalid } : {}),
        ...(r.metrics ? { metrics: r.metrics } : {}),
        safety_events: safetySummary(r.safety).events,
      };
    } finally {
      await session.close();
      (robot as { dispose?: () => void }).dispose?.();
    }
    traces[engine] = trace;
  }
  const a = traces.cannon;
  const b = traces.mujoco;
  const ticks = Math.min(a.q.length, b.q.length);
  const joints = jointNames.map((name, i) => ({ name, ...divergence(ticks, a.time, (k) => Math.abs(a.q[k][i] - b.q[k][i]), o.jointThreshold) }));
  const base = { position: divergence(ticks, a.time, (k) => Math.hypot(a.base[k][0] - b.base[k][0], a.base[k][1] - b.base[k][1], a.base[k][2] - b.base[k][2]), o.baseThreshold) };
  const worst = joints.reduce((w, j) => (j.rms > w.rms ? j : w), joints[0]);
  const disagreement: string[] = [];
  const ca = outcomes.cannon;
  const cb = outcomes.mujoco;
  if (ca.success !== cb.success) disagreement.push(`success: cannon ${ca.success}, mujoco ${cb.success}`);
  if (ca.terminated !== cb.terminated) disagreement.push(`terminated: cannon ${ca.terminated}, mujoco ${cb.terminated}`);
  if ((ca.invalid !== undefined) !== (cb.invalid !== undefined)) disagreement.push(`invalid: cannon ${ca.invalid ?? 'no'}, mujoco ${cb.invalid ?? 'no'}`);
  const fa = ca.metrics?.fell;
  const fb = cb.metrics?.fell;
  if (fa !== undefined && fb !== undefined && fa !== fb) disagreement.push(`fell: cannon ${String(fa)}, mujoco ${String(fb)}`);
  return {
    command: 'sim2sim',
    robot: o.robot ?? o.urdf!,
    policy: o.policy,
    seed: o.seed,
    duration_s: durationS,
    physics_hz: o.physicsHz,
    randomize: o.randomize ?? false,
    threshold: { joint: o.jointThreshold, base_m: o.baseThreshold },
    engines: outcomes,
    agree: disagreement.length === 0,
    disagreement,
    ticks_compared: ticks,
    joints,
    worst_joint: worst,
    base,
    ...(o.flipSign ? { flip_sign: o.flipSign } : {}),
  };
}

async function buildRobot(engine: Engine, o: Sim2SimOptions, manifest: ReturnType<typeof loadModelFolder>['manifest']): Promise<{ robot: SimulatedRobot; task: Task }> {
  const physicsDt = 1 / o.physicsHz;
  const mujoco = engine === 'mujoco' ? await import('../../../sim/mujoco/createMujocoRobot.ts') : undefined;
  if (o.robot !== undefined) {
    // --randomize: the robot draws its episode at reset(seed) (with a Rng(seed), as a session
    // does), so that the draw also happens behind a wrapper (--flip-sign).
    if (mujoco) {
      const robot = await mujoco.createMujocoShippedRobot(o.robot, { physicsDt });
      if (o.randomize) robot.setRandomizer((r, seed) => void randomize(r, new Rng(seed)));
      return { robot, task: createTask(o.robot) };
    }
    const robot = createSimRobot(o.robot, { physicsDt });
    if (o.randomize) robot.setRandomizer((r, seed) => void randomize(r, new Rng(seed)));
    return { robot, task: createTask(o.robot) };
  }
  const setup = urdfSetup({ file: o.urdf!, packagePaths: o.urdfPackagePaths ?? [], strict: false }, manifest, physicsDt, `${o.policy}/manifest.json`);
  const robot = mujoco ? await mujoco.createMujocoUrdfRobot(o.urdf!, setup.model, setup.options) : urdfRobot(setup);
  return { robot, task: setup.fixedBase ? new FreeRunTask({ joints: robot.spec.joints }) : new StandTask() };
}

/** Three significant digits (divergences span 1e-9 to 1). */
const sig = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(3)) : x);

function record(t: Trace, obs: Observation, time: number): void {
  const q = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) q[i] = obs.jointPosition[i];
  t.q.push(q);
  t.base.push(obs.base ? Float64Array.from(obs.base.position) : new Float64Array(3));
  t.time.push(time);
}

function divergence(ticks: number, time: readonly number[], diff: (k: number) => number, threshold: number): Divergence {
  let sum = 0;
  let max = 0;
  let first: number | null = null;
  for (let k = 0; k < ticks; k++) {
    const d = diff(k);
    sum += d * d;
    if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
    if (first === null && !(d <= threshold)) first = round(time[k], 4);
  }
  return { rms: sig(Math.sqrt(sum / Math.max(1, ticks))), max: sig(max), first_over_s: first };
}

/**
 * A deliberate modelling fault for testing the check: one joint's sign flipped (as a URDF axis
 * written the wrong way round): its position, velocity and effort are reported negated and its
 * command target and feed-forward are applied negated.
 */
export class SignFlipRobot implements SimulatedRobot {
  private readonly cmd: JointCommand;
  constructor(
    private readonly inner: SimulatedRobot,
    private readonly joint: number,
  ) {
    const n = inner.spec.joints.length;
    this.cmd = { mode: 'position', target: new Float64Array(n), kp: new Float64Array(n), kd: new Float64Array(n), feedforward: new Float64Array(n) };
  }
  get spec() {
    return this.inner.spec;
  }
  get health$() {
    return this.inner.health$;
  }
  get physicsDt() {
    return this.inner.physicsDt;
  }
  connect() {
    return this.inner.connect();
  }
  close() {
    return this.inner.close();
  }
  step(dt: number) {
    this.inner.step(dt);
  }
  reset(seed?: number) {
    this.inner.reset(seed);
  }
  observe(): Observation {
    const o = this.inner.observe();
    const i = this.joint;
    o.jointPosition[i] = -o.jointPosition[i];
    o.jointVelocity[i] = -o.jointVelocity[i];
    o.jointEffort[i] = -o.jointEffort[i];
    return o;
  }
  command(c: JointCommand): void {
    const out = this.cmd;
    const joints = this.inner.spec.joints;
    out.mode = c.mode;
    out.target.set(c.target);
    for (let k = 0; k < out.target.length; k++) {
      out.kp![k] = c.kp?.[k] ?? joints[k].kp;
      out.kd![k] = c.kd?.[k] ?? joints[k].kd;
      out.feedforward![k] = c.feedforward?.[k] ?? 0;
    }
    out.target[this.joint] = -out.target[this.joint];
    out.feedforward![this.joint] = -out.feedforward![this.joint];
    this.inner.command(out);
  }
}

function flipSpec(v: string): { engine: Engine; joint: string } {
  const m = /^(cannon|mujoco):(.+)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected ENGINE:JOINT with ENGINE cannon or mujoco, e.g. mujoco:hinge');
  return { engine: m[1] as Engine, joint: m[2] };
}

export function sim2simCommand() {
  return new Command('sim2sim')
    .description('Run one policy in cannon-es and in MuJoCo with the same seed and initial state; report per joint and base divergence over time and each engine\'s outcome. Exit 0 when the outcomes agree, 1 when they do not.')
    .requiredOption('--policy <dir>', 'policy folder with manifest.json and model.onnx')
    .option('--robot <name>', 'shipped robot (cartpole, pendulum, humanoid, arm)')
    .option('--urdf <file>', 'a URDF robot, set up from the policy\'s manifest as `axon sim --urdf` does')
    .option('--urdf-package-path <dir>', 'folders searched for package://PKG mesh paths (repeat the flag for more)', repeated, [] as string[])
    .option('--mjcf <file>', 'refused: cannon-es builds robots from URDF only (give the robot as --urdf; axon sim --mjcf runs it in MuJoCo alone)')
    .option('--command <vx,vy,wz>', "velocity command for a locomotion policy's velocity_commands term", (v) => parseVelocityCommand(v, '--command'))
    .option('--duration <s>', "simulated seconds (default: the task's episode)", positiveNumber)
    .option('--seed <n>', 'episode seed (both engines)', seedInt, 1)
    .option('--randomize', 'randomise the episode (the same draws in both engines)', false)
    .option('--physics-hz <hz>', 'physics rate of both engines; a multiple of the model control rate', physicsRate, 500)
    .option('--joint-threshold <x>', 'joint divergence reported as first exceeded past this (rad | m)', positiveNumber, 0.1)
    .option('--base-threshold <m>', 'base position divergence threshold (m)', positiveNumber, 0.1)
    .addOption(new Option('--flip-sign <engine:joint>', 'deliberate fault for testing the check: flip one joint\'s sign in one engine').argParser(flipSpec).hideHelp())
    .option('--json', 'print one JSON report on the last line of stdout', false)
    .action(async (o, cmd) => {
      refuseOrphans(cmd, o, [{ flag: '--urdf-package-path', needs: '--urdf FILE', ok: (x) => x.urdf !== undefined }, RANDOMIZE_SHIPPED_ONLY]);
      refuseUnreadCommand(o);
      if (o.mjcf !== undefined)
        throw new UsageError('--mjcf', 'cannot be compared: cannon-es builds robots from URDF only', 'the same robot as a URDF (--urdf FILE), or `axon sim --mjcf FILE` to run the MJCF in MuJoCo alone');
      const report = await sim2sim({
        policy: o.policy,
        ...(o.robot !== undefined ? { robot: o.robot } : {}),
        ...(o.urdf !== undefined ? { urdf: o.urdf, urdfPackagePaths: o.urdfPackagePath } : {}),
        ...(o.command ? { command: o.command } : {}),
        ...(o.duration !== undefined ? { durationS: o.duration } : {}),
        seed: o.seed,
        physicsHz: o.physicsHz,
        randomize: o.randomize,
        jointThreshold: o.jointThreshold,
        baseThreshold: o.baseThreshold,
        ...(o.flipSign ? { flipSign: o.flipSign } : {}),
      });
      if (o.json) console.log(JSON.stringify(report));
      else printReport(report);
      if (!report.agree) process.exitCode = EXIT_FAILED; // the engines' outcomes disagree
    });
}

function printReport(r: Sim2SimReport): void {
  console.log(`axon sim2sim: ${r.robot} under ${r.policy}, seed ${r.seed}, ${r.duration_s} s at ${r.physics_hz} Hz${r.flip_sign ? ` (fault: ${r.flip_sign.joint} sign flipped in ${r.flip_sign.engine})` : ''}`);
  for (const e of ENGINES) {
    const x = r.engines[e];
    const fell = x.metrics?.fell;
    console.log(`  ${e.padEnd(6)} ${x.success ? 'success' : 'failed'}${x.terminated ? ' (terminated)' : ''}${fell !== undefined ? `, ${fell ? 'fell' : 'stood'}` : ''}, return ${x.return}, ${x.steps} ticks${x.invalid ? `, invalid: ${x.invalid}` : ''}`);
  }
  const fmt = (d: Divergence) => `rms ${d.rms} max ${d.max}${d.first_over_s !== null ? `, over threshold at ${d.first_over_s} s` : ''}`;
  console.log(`  base position: ${fmt(r.base.position)} (m, threshold ${r.threshold.base_m})`);
  console.log(`  worst joint ${r.worst_joint.name}: ${fmt(r.worst_joint)} (threshold ${r.threshold.joint})`);
  for (const j of r.joints) if (j.name !== r.worst_joint.name) console.log(`    ${j.name}: ${fmt(j)}`);
  console.log(r.agree ? 'outcomes agree' : `outcomes disagree: ${r.disagreement.join('; ')}`);
}

/**
 * Re-creates the shipped world models and their README eval figures:
 *
 *   npx tsx models/train/worldmodel/index.ts [--only pendulum|cartpole] [--no-eval]
 *
 * pendulum-wm: swing-up by planning alone (MPPI) vs random actions, 50 randomised episodes; the same
 * planner without the manifest's energy term, and CEM, 10 episodes each.
 * cartpole-wm: the shield on cartpole-balance with action noise (with vs without, 100 episodes),
 * and the surprise monitor with a mid-episode pole-mass fault vs the unchanged sim (100 episodes).
 */
import { defaultMonitorOptions } from '../../../src/worldmodel/MonitorHook.ts';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { sha256Hex } from '../onnx/writeOnnx.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runEval as runEvalWith, type EvalOptions, type EvalSummary } from '../../../src/eval/evaluate.ts';
import { sessions } from '../../../sim/session/index.ts';
import { buildPendulumWm } from './pendulum.ts';
import { buildCartpoleWm } from './cartpole.ts';
import { ARM6_ARMATURE, ARM6_GAINS, ARM6_POSE_DIR, buildArmWm, writeArmPosePolicy } from './arm.ts';
import type { WorldModelBuild } from './build.ts';

/** Eval in axon's own simulator. */
const runEval = (o: EvalOptions): Promise<EvalSummary> => runEvalWith(o, sessions);

export const PLAN_EVAL = 'npx axon eval --robot pendulum --world-model models/pendulum-wm --wm-mode plan --episodes 50 --randomize --baseline --json';
export const SHIELD_EVAL = 'npx axon eval --robot cartpole --policy models/cartpole-balance --action-noise 0.3 --world-model models/cartpole-wm --wm-mode shield --episodes 100 --randomize --baseline --json';
export const MONITOR_EVAL = 'npx axon eval --robot cartpole --policy models/cartpole-balance --action-noise 0.2 --world-model models/cartpole-wm --wm-mode monitor --fault motor:0.5@2 --episodes 100 --randomize --baseline --json';
export const MONITOR_MASS_EVAL = MONITOR_EVAL.replace('motor:0.5@2', 'mass:3@2');

/**
 * What a README says of the world-model stage's time: it depends on the machine and its load, so
 * it is printed (buildWorldModels logs it), not written: a README holds what the seed decides.
 */
const STAGE_TIME =
  'The world-model stage\'s time per tick depends on the machine: the eval prints it (`world_model.stage_us`, and `tick_share_p99` of the tick period), and `npm run bench` measures the planner; it is not written here.';

function errorTable(b: WorldModelBuild): string {
  const e = b.manifest.provenance!.eval as { state: string[]; one_step_rms: number[]; twenty_step_rms: number[]; held_out_transitions: number };
  return `| state element | 1-step RMS error | 20-step open-loop RMS error |\n|---|---|---|\n` + e.state.map((n, i) => `| \`${n}\` | ${e.one_step_rms[i]} | ${e.twenty_step_rms[i]} |`).join('\n');
}

function common(b: WorldModelBuild, script: string, seed: number): string {
  return `## How it was made
\`npx tsx ${script} --seed ${seed}\` (also \`npx tsx models/train/worldmodel/index.ts\`): transitions
collected in axon's own cannon-es simulator through the runtime's observation builder, action mapper
and safety supervisor; every 5th episode held out. ${(b.manifest.provenance as Record<string, unknown>).network as string}, trained by
minibatch Adam on the normalised state change (${b.trainTransitions} transitions). The runtime feeds the
graph \`(state − state.mean) / state.std\` and the raw action and adds \`output.mean + output.std · delta\`
to the state (manifest \`world_model\`). Deterministic under the seed (model.onnx sha256 \`${b.sha}\`);
${Number.isNaN(b.onnxMaxDiff) ? '' : `the ONNX graph matches the training network to ${b.onnxMaxDiff.toExponential(1)}.`}

## Prediction error on held-out episodes (physical units: rad, m, rad/s, m/s)
${errorTable(b)}
`;
}

/** The planner's eval without the manifest's energy term, and with CEM (10 episodes each, the plan eval's other flags). */
export interface PendulumVariants {
  readonly noEnergy?: EvalSummary;
  readonly cem?: EvalSummary;
}

/** `n of N` successes from an eval summary. */
const successes = (e: EvalSummary) => `${Math.round(e.success_rate * e.episodes)} of ${e.episodes}`;

export function pendulumReadme(b: WorldModelBuild, seed: number, plan?: EvalSummary, v: PendulumVariants = {}): string {
  const w = plan?.world_model;
  return `# pendulum-wm

Learned dynamics of the torque-limited pendulum (\`sim/robots/pendulum.urdf\`: 1 m, 1 kg rod, ±2 N·m,
starts hanging): state \`joint_pos\` (angle, wrapped, 0 = upright) and \`joint_vel\`, action
\`joint_effort\` clip ±1, scale 2 N·m, dt 0.02 s. Training data: random piecewise-constant torques from
random states over the whole state space, and energy-pumping / balancing controller episodes with
noise (the swing-up region), pole mass ±20 %. Its manifest declares the swing-up cost a planner
minimises: angle² + 0.1·velocity² + 0.01·action² per step, plus energy shaping (E − E_upright)²,
which lets a ${w?.planner?.horizon ?? 20}-step (${+((w?.planner?.horizon ?? 20) * b.manifest.world_model!.dt).toFixed(2)} s) horizon pump energy${
    v.noEnergy ? `: without it (the manifest's \`cost.energy\` removed) the same planner swings up in ${successes(v.noEnergy)} randomised episodes (\`${PLAN_EVAL.replace('--episodes 50', '--episodes 10').replace(' --baseline', '')}\`, model folder edited)` : ''
  }.

${common(b, 'models/train/worldmodel/pendulum.ts', seed)}
## Swing-up by planning alone
${
  plan && w
    ? `\`${PLAN_EVAL}\`

| controller | success_rate (±0.2 rad for the last 2 s of 10 s) | mean_return |
|---|---|---|
| MPPI on pendulum-wm, K ${w.planner!.samples}, H ${w.planner!.horizon} | ${plan.success_rate} | ${plan.mean_return} |
| random actions (baseline) | ${plan.baseline?.success_rate} | ${plan.baseline?.mean_return} |

${v.cem ? `With \`--planner cem\` (${v.cem.world_model?.planner?.iterations} iterations, K ${v.cem.world_model?.planner?.samples}) the same eval over 10 episodes swings up in ${successes(v.cem)}. ` : ''}${STAGE_TIME}`
    : 'Run the eval above.'
}
`;
}

/** How the cartpole's monitor decides, from its manifest and the monitor's defaults (every number generated). */
function monitorRule(b: WorldModelBuild): string {
  const m = b.manifest.world_model!.monitor;
  const threshold = m?.threshold ?? defaultMonitorOptions.threshold;
  const ticks = m?.ticks ?? defaultMonitorOptions.ticks;
  const w = defaultMonitorOptions.window;
  return `The monitor raises the event when the surprise is above the threshold (${threshold}) for ${ticks} ticks in a row, or
at once when the windowed surprise, the RMS of the surprise over the last ${w} ticks (${+(w * b.manifest.world_model!.dt).toFixed(3)} s), is
above 1.25 × the threshold. The pole is light (0.1 kg on a 1 kg cart), so tripling its mass changes
one tick's error only a little near balance, and one tick's noise often breaks a run of ${ticks}; the
window averages the noise out.`;
}

export function cartpoleReadme(b: WorldModelBuild, seed: number, shield?: EvalSummary, monitor?: EvalSummary, mass?: EvalSummary): string {
  return `# cartpole-wm

Learned dynamics of the cart-pole (\`sim/robots/cartpole.urdf\`): state \`joint_pos\` (cart x, pole
angle) and \`joint_vel\`, action \`joint_effort\` on the slider, clip ±1, scale 20 N (the same action
space as \`cartpole-balance\`), dt 0.02 s. Training data: \`cartpole-balance\` rollouts with action noise
of random strength (std 0–1.5) and random pushes near upright, pole mass ±20 %. Its manifest declares
the shield's constraints (pole within ±0.19 rad, cart within ±2.2 m: the task's ±12° and ±2.4 m with a
margin) and the surprise monitor's defaults (threshold ${b.manifest.world_model!.monitor?.threshold}, ${b.manifest.world_model!.monitor?.ticks} ticks).

${common(b, 'models/train/worldmodel/cartpole.ts', seed)}
## The shield saves a degraded policy
${
  shield
    ? `\`${SHIELD_EVAL}\`

| run | failure rate (100 episodes) | vetoes |
|---|---|---|
| cartpole-balance + action noise std ${shield.action_noise}, no shield | ${shield.baseline?.failure_rate} | – |
| the same with \`--wm-mode shield\` (N ${shield.world_model?.shield?.horizon}, continuation ${shield.world_model?.shield?.continuation}) | ${shield.failure_rate} | ${shield.world_model?.shield?.vetoes} |

${STAGE_TIME}`
    : 'Run the eval above.'
}

## The monitor catches a changed world
${
  monitor
    ? `\`${MONITOR_EVAL}\` (motors at 50 % strength from 2 s; action noise 0.2 keeps the system excited: a fault in a robot at rest is unobservable)

| run | episodes with a surprise event | time from fault to first event |
|---|---|---|
| motor strength × 0.5 at 2 s | ${monitor.world_model?.monitor?.episodes_with_event}/100 | mean ${monitor.world_model?.monitor?.detection_s?.mean} s, max ${monitor.world_model?.monitor?.detection_s?.max} s |
| pole mass × 3 at 2 s (\`--fault mass:3@2\`) | ${mass?.world_model?.monitor?.episodes_with_event ?? '–'}/100 | mean ${mass?.world_model?.monitor?.detection_s?.mean ?? '–'} s, max ${mass?.world_model?.monitor?.detection_s?.max ?? '–'} s |
| unchanged sim (baseline) | ${(monitor.baseline as unknown as { world_model?: { monitor?: { episodes_with_event: number; max_surprise: number } } })?.world_model?.monitor?.episodes_with_event ?? '–'}/100 (max surprise ${(monitor.baseline as unknown as { world_model?: { monitor?: { max_surprise: number } } })?.world_model?.monitor?.max_surprise ?? '–'}) | – |

${monitorRule(b)}`
    : 'Run the eval above.'
}
`;
}

export const ARM_SHIELD_RUN = 'npx axon run --config hardware/robots/arm6-xm430.json --port emu:// --policy models/arm6-pose --action-noise 0.3 --world-model models/arm-wm --wm-mode shield --baseline --json';

export function armReadme(b: WorldModelBuild, seed: number): string {
  const c = b.manifest.world_model!.constraints ?? [];
  const joints = c.filter((x) => x.state.startsWith('joint_pos.'));
  const targets = c.filter((x) => x.state.startsWith('last_action.'));
  return `# arm-wm

Learned dynamics of the 6-servo arm of \`hardware/robots/arm6-xm430.json\` (joints ${b.manifest.joints.map((j) => `\`${j}\``).join(', ')}),
trained on its URDF (\`hardware/robots/arm6-xm430.urdf\`, fixed base) in axon's simulator with implicit
position PD (kp ${ARM6_GAINS.kp} N·m/rad, kd ${ARM6_GAINS.kd} N·m·s/rad, armature ${ARM6_ARMATURE} kg·m²): state \`joint_pos\`,
\`joint_vel\` and \`last_action\`, action \`${b.manifest.action.type}\` relative to the default pose, scale
${b.manifest.action.scale} rad, clip ±${b.manifest.action.clip} (the action space of \`${ARM6_POSE_DIR}\`), dt ${b.manifest.world_model!.dt} s.
Training data: random piecewise-constant targets from random states over the joint ranges, and the
\`${ARM6_POSE_DIR}\` pose with action noise of random strength. The simulator's own arm
(\`sim/robots/arm.ts\`) has other joints, so it is not the one trained on.

Its manifest declares the shield's constraints: ${joints.length} joint positions inside their limits with a
margin (e.g. \`${joints[0]?.state}\` in [${joints[0]?.lower}, ${joints[0]?.upper}]) and ${targets.length} commanded targets
(\`last_action\` × scale) inside them with a wider margin that covers the learned \`last_action\`'s error
(e.g. \`${targets[0]?.state}\` in [${targets[0]?.lower}, ${targets[0]?.upper}]): a command the safety supervisor would clamp is vetoed.

${common(b, 'models/train/worldmodel/arm.ts', seed)}
## The shield on the emulated bus
\`${ARM_SHIELD_RUN}\` runs the pose policy with action noise on the emulated
servos twice, with the shield and (\`--baseline\`) without it on a fresh emulator, and reports both
runs' \`position_clamp\` counts (targets the safety supervisor had to clamp into the joint limits) in
one summary (\`world_model.position_clamps\`, \`baseline.position_clamps\`). Wall-clock runs: the figures
depend on the machine's timing and are not written here.
`;
}

/** A shipped folder as a WorldModelBuild (for README figures without retraining). */
export function fromFolder(dir: string): WorldModelBuild {
  const { manifest, onnxPath } = loadModelFolder(dir);
  const p = manifest.provenance as Record<string, unknown> & { training: { transitions: number }; eval: { one_step_rms: number[]; twenty_step_rms: number[]; held_out_transitions: number } };
  return {
    manifest,
    sha: sha256Hex(readFileSync(onnxPath)),
    error: { oneStep: p.eval.one_step_rms, multiStep: p.eval.twenty_step_rms, horizon: 20, transitions: p.eval.held_out_transitions },
    trainTransitions: p.training.transitions,
    onnxMaxDiff: Number.NaN,
    trainS: Number.NaN,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'no-eval': { type: 'boolean', default: false }, seed: { type: 'string', default: '1' }, 'readme-from': { type: 'string' } } });
  const seed = Number(values.seed);
  if (values['readme-from'] !== undefined) {
    // READMEs from eval summaries already measured (plan.json, shield.json, monitor.json, mass.json in that folder).
    const j = (f: string) => JSON.parse(readFileSync(join(values['readme-from']!, f), 'utf8')) as EvalSummary;
    const maybe = (f: string) => (existsSync(join(values['readme-from']!, f)) ? j(f) : undefined);
    writeFileSync('models/pendulum-wm/README.md', pendulumReadme(fromFolder('models/pendulum-wm'), seed, j('plan.json'), { noEnergy: maybe('no-energy.json'), cem: maybe('cem.json') }));
    writeFileSync('models/cartpole-wm/README.md', cartpoleReadme(fromFolder('models/cartpole-wm'), seed, j('shield.json'), j('monitor.json'), j('mass.json')));
    return;
  }
  const doEval = !values['no-eval'];
  await buildWorldModels(seed, doEval, values.only);
}

/** Trains pendulum-wm, arm-wm (with the arm6-pose policy) and cartpole-wm (or `only` one) and writes their READMEs with eval figures (models/train/index.ts calls this). */
export async function buildWorldModels(seed = 1, doEval = true, only?: string): Promise<void> {
  if (only === undefined || only === 'pendulum') {
    const b = await buildPendulumWm(seed, 'models/pendulum-wm');
    const planEval = { robot: 'pendulum', episodes: 50, seed: 1, randomize: true, physicsHz: 500, worldModel: { dir: 'models/pendulum-wm', mode: 'plan' as const, planner: 'mppi' as const } };
    const plan = doEval ? await runEval({ ...planEval, baseline: true }) : undefined;
    const v: PendulumVariants = doEval
      ? { noEnergy: await withoutEnergy('models/pendulum-wm', (dir) => runEval({ ...planEval, episodes: 10, worldModel: { ...planEval.worldModel, dir } })), cem: await runEval({ ...planEval, episodes: 10, worldModel: { ...planEval.worldModel, planner: 'cem' } }) }
      : {};
    if (plan?.world_model) logStageTime('pendulum-wm plan (MPPI)', plan.world_model);
    if (v.cem?.world_model) logStageTime('pendulum-wm plan (CEM)', v.cem.world_model);
    writeFileSync(join('models/pendulum-wm', 'README.md'), pendulumReadme(b, seed, plan, v));
  }
  if (only === undefined || only === 'arm') {
    await writeArmPosePolicy(ARM6_POSE_DIR, seed);
    const b = await buildArmWm(seed, 'models/arm-wm');
    writeFileSync(join('models/arm-wm', 'README.md'), armReadme(b, seed));
  }
  if (only === undefined || only === 'cartpole') {
    const b = await buildCartpoleWm(seed, 'models/cartpole-wm');
    const base = { robot: 'cartpole', policy: 'models/cartpole-balance', episodes: 100, seed: 1, randomize: true, physicsHz: 500, baseline: true };
    const shield = doEval ? await runEval({ ...base, actionNoise: 0.3, worldModel: { dir: 'models/cartpole-wm', mode: 'shield' } }) : undefined;
    const mon = { ...base, actionNoise: 0.2, worldModel: { dir: 'models/cartpole-wm', mode: 'monitor' as const } };
    const monitor = doEval ? await runEval({ ...mon, fault: { kind: 'motor', factor: 0.5, atS: 2 } }) : undefined;
    const mass = doEval ? await runEval({ ...mon, baseline: false, fault: { kind: 'mass', factor: 3, atS: 2 } }) : undefined;
    if (shield?.world_model) logStageTime('cartpole-wm shield', shield.world_model);
    writeFileSync(join('models/cartpole-wm', 'README.md'), cartpoleReadme(b, seed, shield, monitor, mass));
  }
}

/** The world-model stage's time, printed (not written into a README: it depends on the machine). */
function logStageTime(what: string, w: NonNullable<EvalSummary['world_model']>): void {
  console.log(`${what}: world-model stage p50 ${w.stage_us.p50} µs, p99 ${w.stage_us.p99} µs (${(w.tick_share_p99 * 100).toFixed(0)} % of the tick at p99; this machine, now)`);
}

/** Runs `f` on a copy of the model folder whose manifest has no energy-shaping term. */
async function withoutEnergy<T>(dir: string, f: (copy: string) => Promise<T>): Promise<T> {
  const tmp = mkdtempSync(join(tmpdir(), 'axon-wm-no-energy-'));
  try {
    const copy = join(tmp, 'pendulum-wm');
    cpSync(dir, copy, { recursive: true });
    const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
    delete m.world_model.cost.energy;
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m, null, 2));
    return await f(copy);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

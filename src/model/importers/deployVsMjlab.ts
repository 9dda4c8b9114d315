/**
 * A deploy.yaml beside an ONNX file that carries mjlab's metadata_props (unitreerobotics/
 * unitree_rl_mjlab: its runner attaches get_base_metadata to every export, and its deploy.yaml files
 * are written by hand: README "Real Deployment"; scripts/export_deploy.py says they are "hand-copied").
 * The two describe one policy twice: the metadata is what the training used, the deploy.yaml is
 * what the vendor's C++ controller applies. Where they disagree the robot runs something the policy
 * was not trained with, so from-deploy says where, field by field; the manifest stays the
 * deploy.yaml's (what the vendor's controller does), as from-deploy's contract is.
 *
 * Compared, by joint name: the joint set, default pose (|Δ| > 0.005 rad: the metadata has 3
 * decimals, the files 1 to 3), action scale and PD gains (relative Δ > 5 %: the files round gains
 * to 0.1, scales to 0.01, which is up to 3 % on a G1's wrist damping); the observation terms in
 * order (mjlab's term keys read as from-deploy's terms: `phase` is gait_phase).
 */
import type { ModelManifest, ObservationTermName } from '../manifest.ts';
import type { OnnxMetadataEntry } from '../onnxMetadata.ts';
import { splitCsv } from './mjlabCsv.ts';

/** mjlab's observation term keys (velocity_env_cfg.py) as axon's terms; `phase` is unitree_rl_mjlab's gait clock. */
const mjlabTerm: Record<string, ObservationTermName> = {
  base_lin_vel: 'base_lin_vel',
  base_ang_vel: 'base_ang_vel',
  projected_gravity: 'projected_gravity',
  command: 'velocity_commands',
  phase: 'gait_phase',
  joint_pos: 'joint_pos_rel',
  joint_vel: 'joint_vel',
  actions: 'last_action',
};
/** Terms that read the same thing under two names. */
const same = (t: string): string => (t === 'joint_vel_rel' ? 'joint_vel' : t);

const DEFAULT_TOL = 0.005; // rad
const REL_TOL = 0.05;
const SHOWN = 6;

/** True when the metadata's observation_names hold unitree_rl_mjlab's gait clock (`phase`). */
export function mjlabHasPhase(entries: readonly OnnxMetadataEntry[]): boolean {
  const names = entries.find((e) => e.key === 'observation_names');
  return names !== undefined && splitCsv(names.value).includes('phase');
}

/** One line per field where the deploy.yaml's manifest and the ONNX file's metadata disagree; none when they agree. */
export function compareWithMjlab(m: ModelManifest, entries: readonly OnnxMetadataEntry[], deployFile: string, onnxFile: string): string[] {
  const meta = new Map(entries.map((e) => [e.key, e.value]));
  const list = (k: string) => (meta.has(k) ? splitCsv(meta.get(k)!) : undefined);
  const nums = (k: string) => list(k)?.map(Number);
  const out: string[] = [];
  const head = `${onnxFile} metadata_props (the training's) and ${deployFile} (what unitree_rl_mjlab's controller applies; the manifest has these)`;
  const names = list('joint_names');
  if (!names) return out;
  const missing = m.joints.filter((j) => !names.includes(j));
  const extra = names.filter((j) => !m.joints.includes(j));
  if (missing.length > 0 || extra.length > 0) {
    out.push(`${head} name different joints: ${missing.length > 0 ? `only the deploy.yaml's SDK order has ${missing.join(', ')}` : ''}${missing.length > 0 && extra.length > 0 ? '; ' : ''}${extra.length > 0 ? `only the metadata has ${extra.join(', ')}` : ''}`);
    return out;
  }
  if (names.length === m.joints.length && names.some((j, i) => j !== m.joints[i]))
    out.push(`${head} list the joints in different orders (the policy's is the metadata's, ${names.slice(0, 4).join(', ')}, ...; joint_ids_map and the SDK order give ${m.joints.slice(0, 4).join(', ')}, ...): check joint_ids_map`);
  const at = (j: string) => names.indexOf(j);
  const perJoint = (label: string, deploy: readonly number[] | undefined, joints: readonly string[], metaVals: readonly number[] | undefined, differs: (a: number, b: number) => boolean) => {
    if (!deploy || !metaVals || metaVals.length !== names.length) return;
    const bad = joints.map((j, i) => [j, deploy[i], metaVals[at(j)]] as const).filter(([, a, b]) => Number.isFinite(b) && differs(a, b));
    if (bad.length > 0)
      out.push(`${head} differ in ${label} of ${bad.length} joint(s): ${bad.slice(0, SHOWN).map(([j, a, b]) => `${j} ${a} vs ${b}`).join(', ')}${bad.length > SHOWN ? ', ...' : ''}`);
  };
  const rel = (a: number, b: number) => Math.abs(a - b) > REL_TOL * Math.max(Math.abs(a), Math.abs(b));
  perJoint('default_joint_pos', m.default_joint_pos, m.joints, nums('default_joint_pos'), (a, b) => Math.abs(a - b) > DEFAULT_TOL);
  const actJoints = m.action.joints ?? m.joints;
  const scale = Array.isArray(m.action.scale) ? m.action.scale : actJoints.map(() => (m.action.scale as number | undefined) ?? 1);
  const metaScale = nums('action_scale');
  perJoint('action scale', scale, actJoints, metaScale && metaScale.length === 1 ? names.map(() => metaScale[0]) : metaScale, rel);
  const kp = nums('joint_stiffness'), kd = nums('joint_damping');
  const motors = kp !== undefined && kd !== undefined && kp.every((x, i) => x === 1 && kd[i] === 0); // a <motor> actuator's 1.000 / -0.000: not gains
  if (!motors && m.pd) {
    perJoint('kp', m.pd.kp, actJoints, kp, rel);
    perJoint('kd', m.pd.kd, actJoints, kd, rel);
  }
  const obs = list('observation_names');
  if (obs) {
    const trained = obs.map((n) => mjlabTerm[n] ?? n);
    const deployed = m.observation.terms.map((t) => t.term);
    if (trained.length !== deployed.length || trained.some((t, i) => same(t) !== same(deployed[i])))
      out.push(`${head} list different observation terms: the training's ${obs.join(', ')} (${trained.join(', ')}), the deploy.yaml's ${deployed.join(', ')}`);
  }
  return out;
}

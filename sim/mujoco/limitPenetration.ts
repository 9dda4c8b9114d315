import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import type { MujocoJointDesc } from './MujocoRobotOptions.ts';

/**
 * How far a joint's motor at its effort limit may press it past its limit, as a share of its range,
 * before an MJCF's limit is noted (MUJOCO_MJCF_SOFT_LIMIT): 1 %. A URDF's limits are made hard
 * (compileUrdf.ts, sim/mujoco/MujocoHardLimits.ts) and hold within 1e-4 rad on the same motors.
 */
export const SOFT_LIMIT_SHARE = 0.01;

/** One driven joint whose limit a motor at its effort limit presses in further than SOFT_LIMIT_SHARE of its range. */
export interface SoftLimit {
  readonly name: string;
  /** MuJoCo's penetration at rest under the effort limit (rad | m). */
  readonly depth: number;
  /** The joint's range (rad | m). */
  readonly range: number;
}

/**
 * An MJCF's driven joints whose limits, as the model sets them (solreflimit, solimplimit, often in
 * its <default>), let axon's motor at its effort limit press them past by more than
 * `share` of their range (SOFT_LIMIT_SHARE), by MuJoCo's penetration at rest ("Solver parameters": r = a·(1 −
 * d)·τ²·ζ² for a solref (τ, ζ), τ at least 2 steps under refsafe; a·(1 − d) / stiffness for a direct
 * one), a = effort limit / inertia (the joint's, the rest of the robot free: 1 / (M⁻¹)ᵢᵢ at the
 * pose `data` holds, after mj_forward) and d the impedance past the solimp width. The model's values
 * are kept: the maker chose them, and axon's supervisor clamps position targets into the range,
 * so only a velocity or effort command, or a target past the range without the supervisor, presses
 * that hard (docs/mujoco.md, "Joint limits"). A joint without a finite effort limit, passive or a
 * follower is left out; `joints` are those MuJoCo limits (createMujocoMjcfRobot.ts passes only those:
 * a limited="false" joint's ctrlrange bounds have no stop). Configure time only.
 */
export function softLimits(mj: MainModule, model: MjModel, data: MjData, joints: readonly MujocoJointDesc[], share = SOFT_LIMIT_SHARE): SoftLimit[] {
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const solref = model.jnt_solref as Float64Array;
  const solimp = model.jnt_solimp as Float64Array;
  const dofadr = model.jnt_dofadr as Int32Array;
  const h = model.opt.timestep;
  const refsafe = (model.opt.disableflags & mj.mjtDisableBit.mjDSBL_REFSAFE.value) === 0;
  const out: SoftLimit[] = [];
  for (const j of joints) {
    const range = j.upper - j.lower;
    if (j.mimic !== undefined || !(j.effortLimit > 0 && j.effortLimit < Infinity) || !(range > 0 && range < Infinity)) continue;
    const id = mj.mj_name2id(model, JOINT, j.name);
    const m = dofInertia(mj, model, data, dofadr[id]);
    if (!(m > 0 && m < Infinity)) continue;
    const a = j.effortLimit / m;
    const d = Math.min(0.9999, Math.max(0.0001, solimp[5 * id + 1])); // MuJoCo clamps impedance to [mjMINIMP, mjMAXIMP]
    const [r0, r1] = [solref[2 * id], solref[2 * id + 1]];
    let depth: number;
    if (r0 > 0 && r1 > 0) {
      const tau = refsafe ? Math.max(r0, 2 * h) : r0;
      depth = a * (1 - d) * tau * tau * r1 * r1;
    } else if (r0 < 0) depth = (a * (1 - d)) / -r0;
    else continue;
    if (depth > share * range) out.push({ name: j.name, depth, range });
  }
  return out;
}

/** The note for softLimits()'s joints, none for none. */
export function softLimitNote(found: readonly SoftLimit[], where: string): UrdfNote[] {
  if (found.length === 0) return [];
  const fmt = (x: number) => String(+x.toPrecision(2));
  return [
    {
      code: 'MUJOCO_MJCF_SOFT_LIMIT',
      where,
      message: `${found.length} driven joint(s) whose limits, as the model sets them (solreflimit, solimplimit), let the motor at its effort limit press them past by more than ${SOFT_LIMIT_SHARE * 100} % of their range (MuJoCo's penetration at rest, rad | m): ${found.map((s) => `${s.name} ${fmt(s.depth)} of ${fmt(s.range)}`).join(', ')}; kept as the model has them (position targets are clamped into the range; a velocity or effort command presses that far)`,
    },
  ];
}

/** 1 / (M⁻¹)ₖₖ (kg·m² | kg) of dof k at the pose `data` holds, from MuJoCo's factor of M (mj_solveM on eₖ). */
function dofInertia(mj: MainModule, model: MjModel, data: MjData, k: number): number {
  const e = new Array<number>(model.nv).fill(0);
  e[k] = 1;
  const res = new mj.DoubleBuffer(model.nv);
  try {
    mj.mj_solveM(model, data, res, e);
    return 1 / (res.GetView() as Float64Array)[k];
  } finally {
    res.delete();
  }
}

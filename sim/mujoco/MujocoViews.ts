import type { MjData, MjModel } from '@mujoco/mujoco';

/** Bias parameters per actuator in `biasprm` (MuJoCo's mjNBIAS): the PD law's b1 at 1, b2 at 2. */
export const NBIAS = 10;

/**
 * The typed-array views into the WebAssembly heap that a MujocoRobot reads and writes on the
 * tick: MjData's state, kinematics and forces, and the model arrays the tick touches.
 *
 * Why one object: a view is a window on the heap's ArrayBuffer, and when the heap grows the
 * buffer is replaced and every view on it is detached (length 0) at once. So the views are
 * fetched again all together, by refresh(), never one by one, and read through this object
 * where they are used (a local copy inside one method is fine, never a field of its own).
 * MujocoRobot refreshes them at reset (after mj_resetData) and tests them at each step().
 *
 * Real-time rules: refreshIfDetached() is a length test; nothing is allocated while the heap holds.
 */
export class MujocoViews {
  // MjData: state and inputs.
  /** Joint positions (generalised coordinates: m, rad, free-joint quaternions). */
  qpos!: Float64Array;
  /** Joint velocities (dofs: m/s, rad/s). */
  qvel!: Float64Array;
  /** Actuator activations, the solver's warm start (per dof), the delay history and the plugins' state: the rest of what a step changes (sim/mujoco/MujocoStepState.ts). */
  act!: Float64Array;
  qaccWarmstart!: Float64Array;
  history!: Float64Array;
  pluginState!: Float64Array;
  /** Actuator controls (one per joint: the PD law's constant term, N·m | N). */
  ctrl!: Float64Array;
  /** Applied body wrenches (world frame, per body: force N then torque N·m): the pushes. */
  xfrc!: Float64Array;
  // MjData: results of the kinematics and the step.
  /** Body frame origins (world, m), per body × 3. */
  xpos!: Float64Array;
  /** Body centres of mass (world, m), per body × 3. */
  xipos!: Float64Array;
  /** Body orientations (world, w x y z), per body × 4. */
  xquat!: Float64Array;
  /** Body velocities (angular then linear, world axes, at the subtree centre of mass of the body's tree root), per body × 6. */
  cvel!: Float64Array;
  /** Subtree centres of mass (world, m), per body × 3. */
  subtreeCom!: Float64Array;
  /** External (contact) wrench on each body, per body × 6 (after mj_rnePostConstraint). */
  cfrcExt!: Float64Array;
  /**
   * Of the last step, per dof (N·m | N): the smooth forces (passive, gravity and Coriolis, applied,
   * actuators), the constraint forces, and the actuators' share; and M = LᵀDL of its start (L in
   * M's sparse rows, 1/D): what the saturation test reads (sim/mujoco/MujocoActuators.ts).
   */
  qfrcSmooth!: Float64Array;
  qfrcConstraint!: Float64Array;
  qfrcActuator!: Float64Array;
  qLD!: Float64Array;
  qLDiagInv!: Float64Array;
  // MjModel.
  /** Actuator bias parameters, per actuator × 10 (mjNBIAS): the PD law's b1 and b2. */
  biasprm!: Float64Array;
  /** Body masses (kg), per body (randomised between episodes). */
  bodyMass!: Float64Array;
  /** Tendon wrap parameters and equality solref: a URDF <mimic> group's, written per step (sim/mujoco/MujocoMimicGroups.ts). */
  wrapPrm!: Float64Array;
  eqSolref!: Float64Array;
  /** Joint limit solref: a hard limit's, written before a step that finds it active (sim/mujoco/MujocoHardLimits.ts). */
  jntSolref!: Float64Array;

  constructor(
    private readonly model: MjModel,
    private readonly data: MjData,
  ) {
    this.refresh();
  }

  /** Re-fetches the views when a heap growth detached them (a cheap length test per step). */
  refreshIfDetached(): void {
    if (this.qpos.length === 0 && this.model.nq > 0) this.refresh();
  }

  /** Fetches every view again, all of them: after anything that may have grown the heap. */
  refresh(): void {
    const d = this.data;
    this.qpos = d.qpos;
    this.qvel = d.qvel;
    this.act = d.act;
    this.qaccWarmstart = d.qacc_warmstart;
    this.history = d.history;
    this.pluginState = d.plugin_state;
    this.ctrl = d.ctrl;
    this.biasprm = this.model.actuator_biasprm;
    this.xfrc = d.xfrc_applied;
    this.xpos = d.xpos;
    this.xipos = d.xipos;
    this.bodyMass = this.model.body_mass;
    this.xquat = d.xquat;
    this.cvel = d.cvel;
    this.subtreeCom = d.subtree_com;
    this.cfrcExt = d.cfrc_ext;
    this.qfrcSmooth = d.qfrc_smooth;
    this.qfrcConstraint = d.qfrc_constraint;
    this.qfrcActuator = d.qfrc_actuator;
    this.qLD = d.qLD;
    this.qLDiagInv = d.qLDiagInv;
    this.wrapPrm = this.model.wrap_prm;
    this.eqSolref = this.model.eq_solref;
    this.jntSolref = this.model.jnt_solref;
  }
}

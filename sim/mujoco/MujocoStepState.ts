import type { MjData, MjModel } from '@mujoco/mujoco';
import type { MujocoViews } from './MujocoViews.ts';

/**
 * What MuJoCo's mj_step reads of MjData and changes: qpos, qvel, act, the solver's warm start
 * (qacc_warmstart), the delay history, the plugins' state and the time (MuJoCo's
 * mjSTATE_INTEGRATION less the inputs mj_step does not change: ctrl, applied forces, mocap,
 * eq_active, userdata). Saved before a physics step so that the step can be taken again from the
 * same state, bit for bit (sim/mujoco/MujocoActuators.ts, "the effort guard").
 *
 * Why copies and not mj_getState / mj_setState: the WebAssembly binding's mj_setState takes a JS
 * number[] (a conversion per call); these are typed-array copies into buffers sized at configure
 * time. MuJoCo's island sleeping is state this does not keep: an MJCF that turns it on has it switched off
 * (compileMjcf.ts, noted MUJOCO_MJCF_SLEEP); a URDF's compiled model never has it.
 *
 * Real-time rules: save() and restore() allocate nothing (they read MjData through MujocoViews).
 */
export class MujocoStepState {
  private readonly qpos: Float64Array;
  private readonly qvel: Float64Array;
  private readonly act: Float64Array;
  private readonly warm: Float64Array;
  private readonly history: Float64Array;
  private readonly plugin: Float64Array;
  private time = 0;

  constructor(model: MjModel) {
    this.qpos = new Float64Array(model.nq);
    this.qvel = new Float64Array(model.nv);
    this.act = new Float64Array(model.na);
    this.warm = new Float64Array(model.nv);
    this.history = new Float64Array(model.nhistory ?? 0);
    this.plugin = new Float64Array(model.npluginstate ?? 0);
  }

  /** Copies the integration state (`views` of `data`). */
  save(views: MujocoViews, data: MjData): void {
    this.qpos.set(views.qpos);
    this.qvel.set(views.qvel);
    if (this.act.length > 0) this.act.set(views.act);
    this.warm.set(views.qaccWarmstart);
    if (this.history.length > 0) this.history.set(views.history);
    if (this.plugin.length > 0) this.plugin.set(views.pluginState);
    this.time = data.time;
  }

  /** Puts the state save() copied back (`views` of `data`). */
  restore(views: MujocoViews, data: MjData): void {
    views.qpos.set(this.qpos);
    views.qvel.set(this.qvel);
    if (this.act.length > 0) views.act.set(this.act);
    views.qaccWarmstart.set(this.warm);
    if (this.history.length > 0) views.history.set(this.history);
    if (this.plugin.length > 0) views.pluginState.set(this.plugin);
    data.time = this.time;
  }
}

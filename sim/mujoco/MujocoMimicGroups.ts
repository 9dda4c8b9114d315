import type { DoubleBuffer, MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { MujocoJointDesc } from './MujocoRobotOptions.ts';

const TRN_TENDON = 3; // mjTRN_TENDON

/** One mimic group (URDF <mimic>, MJCF <equality><joint>): a leader and its followers, with the scratch its per-step factorisation uses. */
interface Group {
  readonly leader: number;
  /**
   * Robot joint indices in factorisation order: the leader first, then the followers in dof order
   * (in MuJoCo's numbering a joint's parents come first).
   */
  readonly members: Int32Array;
  /** dof address and multiplier u (1 for the leader) of each member. */
  readonly dof: Int32Array;
  readonly u: Float64Array;
  /** Scratch: the group's block of M (row-major), then L (unit lower triangular) and D of M = LᵀDL. */
  readonly A: Float64Array;
  readonly L: Float64Array;
  readonly D: Float64Array;
  /** For each member on a tendon: the tendon's wrap entries and the member each one names (−1: none). */
  readonly wraps: ReadonlyArray<{ readonly k: number; readonly adr: Int32Array; readonly of: Int32Array }>;
}

/**
 * Mimic groups in MuJoCo (a leader and the joints that follow it, coupled by joint equalities: a
 * URDF <mimic>'s that sim/mujoco/compileUrdf.ts writes, an MJCF's own <equality><joint>,
 * sim/mujoco/mjcfMimic.ts): how the damping of the leader's PD law is spread over the group, and
 * the group's inertia and load along its coupling (the leader's saturation test).
 *
 * Why: MuJoCo computes the equality forces with the mass matrix M, before its implicit integrator
 * adds the actuators' damping D (qacc = (M + h·D)⁻¹·(f + Jᵀλ)). With axon's stiff PD on the leader
 * alone (h·D ≫ M on light links) the equalities were sized for a leader accelerating freely while
 * the damped leader barely moved: the Robotiq 2F-85's knuckles were 0.9 rad off after one 5 ms
 * step (kp 100, kd 2.5; a one-off observation, docs/mujoco.md) and went on swinging. Here the leader's damping b becomes D = κ·M over the
 * group (κ = b / uᵀMu, u the multipliers, 1 for the leader): the implicit step then scales the
 * group's accelerations alike, equality forces included, and along the coupling the group
 * dissipates b·q̇_l², the leader's law. D is M's block factored as Σ_k D_k·l_k·l_kᵀ (M = LᵀDL, l_k
 * over joint k and the group's joints it rides on, and the leader where k carries it; the leader's
 * l over its own joint alone): each joint's actuator damps l_k·q̇ with κ·D_k, on the joint itself,
 * or on a tendon for a follower that rides on another of its group (the Robotiq's inner fingers on
 * their knuckles) or carries the leader (a linkage whose driven joint sits on a coupled link:
 * factored with the leader's row over the follower, the leader's own actuator missed the cross
 * terms and the stiffened equalities blew up, 2782 rad/s on tests/helpers/mimicChain.ts's
 * leader-below fixture, docs/mujoco.md "Mimic joints"). M is the one MuJoCo computed at the start of the last
 * step, factored before each step (update()). The implicit step also divides the equalities' own
 * correction by 1 + h·κ: scaleEqualities() makes them that much stiffer. Alternatives tried (the
 * Robotiq fixture, kp 100, 200 Hz, before that scaling; one-off observations, docs/mujoco.md): shares by M's diagonal left the inner
 * fingers 1.7 rad off on a step; a tendon over the whole group lost its terms between sibling
 * joints, which MuJoCo's implicit integrators drop (they keep M's sparsity) and blew up; M at qpos0
 * only left a 0.02 rad swing as M changed with the pose.
 *
 * Real-time rules: update(), leaderDamping(), followerDamping(), coupledInertia() and coupledForce()
 * allocate nothing.
 */
export class MujocoMimicGroups {
  /** 1 where the joint follows another: its actuator gives no force of its own, only damping. */
  readonly follower: Uint8Array;
  /** Whether any joint follows another. */
  readonly any: boolean;
  private readonly n: number;
  private readonly names: readonly string[];
  /** The leader of each member of a group (the leader itself included); −1 for the others. */
  private readonly group: Int32Array;
  /** D_k of each member, and l_k·u (its actuator's share of the coupled motion). */
  private readonly dk: Float64Array;
  private readonly along: Float64Array;
  /** Each joint's multiplier (1 for a leader or a joint in no group): `along` before the first update. */
  private readonly multiplier: Float64Array;
  /** Per leader: uᵀMu, and κ of the current physics step. */
  private readonly uMu: Float64Array;
  private readonly kappa: Float64Array;
  private readonly groups: Group[] = [];
  /**
   * Each follower's equality (−1: none) and its solref as MuJoCo reads it, before the per-step
   * scaling: the time constant τ (s, held to 2 steps as MuJoCo does) and damping ratio ζ, or in
   * the direct form (eqDirect 1) the stiffness k and damping b (1/s², 1/s).
   */
  private readonly eqOf: Int32Array;
  private readonly eqDirect: Uint8Array;
  private readonly eqR0: Float64Array;
  private readonly eqR1: Float64Array;
  /** The model's eq_solref and its groups' wrap_prm entries as compiled (pairs, then address and value), restored at reset(). */
  private solrefCompiled: Float64Array = new Float64Array(0);
  private wrapAdr: Int32Array = new Int32Array(0);
  private wrapCompiled: Float64Array = new Float64Array(0);
  private full: DoubleBuffer | undefined;
  private fullView: Float64Array = new Float64Array(0);

  constructor(
    joints: readonly MujocoJointDesc[],
    private readonly vadr: Int32Array,
  ) {
    const n = (this.n = joints.length);
    this.names = joints.map((j) => j.name);
    this.eqOf = Int32Array.from(joints, (j) => (j.mimic !== undefined && j.mimicEquality !== undefined ? j.mimicEquality : -1));
    this.eqDirect = new Uint8Array(n);
    this.eqR0 = new Float64Array(n);
    this.eqR1 = new Float64Array(n);
    const index = new Map(joints.map((j, i) => [j.name, i]));
    this.follower = Uint8Array.from(joints, (j) => (j.mimic ? 1 : 0));
    this.any = this.follower.some((f) => f === 1);
    this.group = new Int32Array(n).fill(-1);
    joints.forEach((j, i) => {
      const l = j.mimic === undefined ? undefined : index.get(j.mimic.joint);
      if (l === undefined) return;
      this.group[i] = l;
      this.group[l] = l;
    });
    this.multiplier = Float64Array.from(joints, (j) => j.mimic?.multiplier ?? 1);
    this.along = Float64Array.from(this.multiplier);
    // Until the first update: the leader keeps its own damping (D_l = uᵀMu = 1), its followers none.
    this.dk = Float64Array.from(this.group, (g, i) => (g === i ? 1 : 0));
    this.uMu = new Float64Array(n).fill(1);
    this.kappa = new Float64Array(n);
  }

  /** The model's arrays for the groups (configure time, once): tendon entries, scratch, M's buffer. */
  bind(mj: MainModule, model: MjModel): void {
    if (!this.any || this.full !== undefined) return;
    const trntype = model.actuator_trntype as Int32Array;
    const trnid = model.actuator_trnid as Int32Array;
    const tadr = model.tendon_adr as Int32Array;
    const tnum = model.tendon_num as Int32Array;
    const objid = model.wrap_objid as Int32Array;
    const dofadr = model.jnt_dofadr as Int32Array;
    for (let l = 0; l < this.n; l++) {
      if (this.group[l] !== l) continue;
      const followers = [...this.group.keys()].filter((i) => this.group[i] === l && i !== l).sort((a, b) => this.vadr[a] - this.vadr[b]);
      const members = Int32Array.from([l, ...followers]);
      const m = members.length;
      const dof = Int32Array.from(members, (i) => this.vadr[i]);
      const wraps = [...members].flatMap((i, k) => {
        if (trntype[i] !== TRN_TENDON) return [];
        const t = trnid[2 * i];
        const adr = Int32Array.from({ length: tnum[t] }, (_, w) => tadr[t] + w);
        return [{ k, adr, of: Int32Array.from(adr, (w) => dof.indexOf(dofadr[objid[w]])) }];
      });
      this.groups.push({ leader: l, members, dof, u: Float64Array.from(members, (i) => this.along[i]), A: new Float64Array(m * m), L: new Float64Array(m * m), D: new Float64Array(m), wraps });
    }
    this.full = new mj.DoubleBuffer(model.nv * model.nv);
    const solref = model.eq_solref as Float64Array;
    this.solrefCompiled = Float64Array.from(solref);
    this.wrapAdr = Int32Array.from(this.groups.flatMap((g) => g.wraps.flatMap((w) => [...w.adr])));
    const wrapPrm = model.wrap_prm as Float64Array;
    this.wrapCompiled = Float64Array.from(this.wrapAdr, (a) => wrapPrm[a]);
    const type = model.eq_type as Int32Array;
    const obj1 = model.eq_obj1id as Int32Array;
    const obj2 = model.eq_obj2id as Int32Array;
    const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
    // MuJoCo keeps a time constant of at least 2 steps unless its refsafe flag is off (engine_core_constraint.c, getsolparam).
    const refsafe = (model.opt.disableflags & mj.mjtDisableBit.mjDSBL_REFSAFE.value) === 0;
    for (let i = 0; i < this.n; i++) {
      if (this.follower[i] !== 1 || this.group[i] < 0) {
        this.eqOf[i] = -1;
        continue;
      }
      // The joint equality that couples it to its leader: the model's own that mjcfMimic.ts chose (either
      // orientation: joint1 may be the leader), else compileUrdf.ts's, by its name.
      let e = this.eqOf[i];
      if (e < 0) e = mj.mj_name2id(model, mj.mjtObj.mjOBJ_EQUALITY.value, `axon_mimic_${this.names[i]}`);
      else {
        const f = mj.mj_name2id(model, JOINT, this.names[i]);
        const l = mj.mj_name2id(model, JOINT, this.names[this.group[i]]);
        if (e >= model.neq || type[e] !== mj.mjtEq.mjEQ_JOINT.value || !((obj1[e] === f && obj2[e] === l) || (obj1[e] === l && obj2[e] === f)))
          throw new AxonError('MUJOCO_MODEL', this.names[i], `equality ${e} does not couple it to ${this.names[this.group[i]]}`, 'the joint equality between a follower and its leader');
      }
      this.eqOf[i] = e;
      if (e < 0) continue;
      // As MuJoCo reads solref (its dmax aside, which the direct form keeps): (timeconst τ, dampratio ζ) is k = 1/(τ·ζ)², b = 2/τ; (−k, −b) is direct.
      const [r0, r1] = [solref[2 * e], solref[2 * e + 1]];
      if (r0 > 0 && r1 > 0) {
        this.eqR0[i] = refsafe ? Math.max(r0, 2 * model.opt.timestep) : r0;
        this.eqR1[i] = r1;
      } else if (r0 <= 0 && r1 <= 0) {
        this.eqDirect[i] = 1;
        this.eqR0[i] = -r0;
        this.eqR1[i] = -r1;
      } else this.eqOf[i] = -1; // a mixed solref, which MuJoCo replaces by its default: left as it is
    }
  }

  /**
   * Before a physics step: each group's block of M (MuJoCo's, from the start of the last step; at
   * qpos0 before the first) factored as LᵀDL, the shares D_k and the followers' tendon
   * coefficients (row k of L) written into the model (`wrapPrm`: its wrap_prm view).
   */
  update(mj: MainModule, model: MjModel, data: MjData, wrapPrm: Float64Array): void {
    if (this.full === undefined) return;
    mj.mj_fullM(model, data, this.full);
    if (this.fullView.length === 0) this.fullView = this.full.GetView() as Float64Array;
    const M = this.fullView;
    const nv = model.nv;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi];
      const { A, L, D, dof, u } = g;
      const m = dof.length;
      let uMu = 0;
      for (let a = 0; a < m; a++)
        for (let b = 0; b < m; b++) {
          const v = M[dof[a] * nv + dof[b]];
          A[a * m + b] = v;
          L[a * m + b] = a === b ? 1 : 0;
          uMu += u[a] * v * u[b];
        }
      // No M yet (all zeros before MuJoCo's first forward pass): keep what is there.
      if (!(uMu > 0)) continue;
      // A = LᵀDL from the last member up, the leader last: its row of L is its own joint alone, so its
      // actuator on the joint applies its share exactly. The followers go deepest first, so a row
      // k holds only k's ancestors in the group and, where k carries the leader, the leader: a
      // chain of joints, whose terms MuJoCo's implicit step keeps (no fill between siblings).
      for (let k = m - 1; k >= 0; k--) {
        const dkk = (D[k] = A[k * m + k]);
        for (let i = 0; i < k; i++) L[k * m + i] = dkk > 0 ? A[k * m + i] / dkk : 0;
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) A[i * m + j] -= L[k * m + i] * dkk * L[k * m + j];
      }
      this.uMu[g.leader] = uMu;
      for (let k = 0; k < m; k++) this.dk[g.members[k]] = D[k] > 0 ? D[k] : 0;
      // A member on its own joint damps it alone (l_k taken as the joint); one on a tendon damps row k of L.
      for (let wi = 0; wi < g.wraps.length; wi++) {
        const w = g.wraps[wi];
        let along = 0;
        for (let j = 0; j <= w.k; j++) along += L[w.k * m + j] * u[j];
        this.along[g.members[w.k]] = along;
        for (let e = 0; e < w.adr.length; e++) wrapPrm[w.adr[e]] = w.of[e] >= 0 ? L[w.k * m + w.of[e]] : 0;
      }
    }
  }

  /**
   * Back to the state before any step (MujocoRobot.reset, before its forward pass): the model's
   * equality solref and tendon coefficients as compiled, no κ, the shares and inertias of the
   * constructor, so that an episode does not depend on the one before. `solref`, `wrapPrm`: the
   * model's eq_solref and wrap_prm views.
   */
  reset(solref: Float64Array, wrapPrm: Float64Array): void {
    if (this.full === undefined) return;
    solref.set(this.solrefCompiled);
    for (let k = 0; k < this.wrapAdr.length; k++) wrapPrm[this.wrapAdr[k]] = this.wrapCompiled[k];
    this.kappa.fill(0);
    this.uMu.fill(1);
    for (let i = 0; i < this.n; i++) {
      this.dk[i] = this.group[i] === i ? 1 : 0;
      this.along[i] = this.multiplier[i];
    }
  }

  /** The damping (N·m·s/rad | N·s/m) leader l's actuator keeps of its law's `damp`; records κ for its followers. */
  leaderDamping(l: number, damp: number): number {
    if (this.group[l] !== l) return damp;
    const k = (this.kappa[l] = damp / this.uMu[l]);
    return k * this.dk[l];
  }

  /** The damping follower f's actuator applies this step (after its leader's leaderDamping). */
  followerDamping(f: number): number {
    const l = this.group[f];
    return l < 0 ? 0 : this.kappa[l] * this.dk[f];
  }

  /**
   * After the leaders' laws (leaderDamping): each follower's equality made s = 1 + h·κ times
   * stiffer and more damped (MuJoCo's direct solref, −stiffness and −damping, of its compiled one:
   * 1/(τ·ζ)² and 2/τ for a time constant τ and damping ratio ζ), because the implicit step divides
   * the group's accelerations by s, the equality's too: with axon's default gains on the Robotiq
   * fixture (kp 10000) its followers were still 0.028 rad off a second after its leader stopped
   * (tests/bench/mimicFigures.ts). So the coupling keeps the stiffness it was compiled with under
   * axon's damping (compileUrdf.ts's for a URDF <mimic>, mjcfMimic.ts's for an MJCF's <equality><joint>).
   * `solref` is the model's eq_solref view, `h` the physics step (s).
   */
  scaleEqualities(solref: Float64Array, h: number): void {
    for (let i = 0; i < this.n; i++) {
      const e = this.eqOf[i];
      if (e < 0) continue;
      const s = 1 + h * this.kappa[this.group[i]];
      if (this.eqDirect[i] === 1) {
        solref[2 * e] = -s * this.eqR0[i];
        solref[2 * e + 1] = -s * this.eqR1[i];
      } else {
        // Written so that ζ = 1 (a URDF <mimic>'s) gives −s/τ² and −2s/τ to the bit, as before MJCF equalities were read.
        const tau = this.eqR0[i];
        const zeta = this.eqR1[i];
        solref[2 * e] = -s / (tau * tau * zeta * zeta);
        solref[2 * e + 1] = (-2 * s) / tau;
      }
    }
  }

  /**
   * Leader l's group along its coupling, for its saturation test (sim/mujoco/MujocoActuators.ts):
   * its inertia uᵀMu (kg·m² | kg; M of the last update(); 0 for a joint that leads no group) and
   * Σ u_k·f[dof_k] of a per-dof force `f` (N·m | N; f at l's own dof for a joint that leads no
   * group). An equality's force cancels in that sum (it acts along e_f − u_f·e_l, and u_f·1 −
   * u_f·u_l = 0), a follower's limit and contacts stay in it.
   */
  coupledInertia(l: number): number {
    for (let gi = 0; gi < this.groups.length; gi++) if (this.groups[gi].leader === l) return this.uMu[l];
    return 0;
  }

  coupledForce(l: number, f: Float64Array): number {
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi];
      if (g.leader !== l) continue;
      let s = 0;
      for (let k = 0; k < g.dof.length; k++) s += g.u[k] * f[g.dof[k]];
      return s;
    }
    return f[this.vadr[l]];
  }

  /** Frees the buffer M is read into. */
  dispose(): void {
    this.full?.delete();
    this.full = undefined;
  }
}

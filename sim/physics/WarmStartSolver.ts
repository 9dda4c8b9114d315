import { Body, ContactEquation, FrictionEquation, GSSolver, type Constraint, type Equation, type World } from 'cannon-es';
import { JointRowEquation } from './JointDrive.ts';

const _lambda: number[] = [];
const _invC: number[] = [];
const _B: number[] = [];
/** Position-error part of a split joint row's right-hand side (0 for other rows), and its impulse. */
const _Bp: number[] = [];
const _lambdaP: number[] = [];
/** 1 for a row of the position solve: a split joint row, or a contact or friction row (B 0: it only blocks). */
const _inP: Uint8Array[] = [new Uint8Array(256)];

/** Contact points are matched step to step on this grid in the first body's frame (m). */
const CONTACT_CELL = 0.004;

/**
 * cannon-es's projected Gauss-Seidel solver, warm started: every equation begins from the impulse
 * it ended the previous step with (scaled by `warmFactor`) instead of 0, as Box2D, Bullet and
 * PhysX do. For a robot holding a pose the load is nearly the same step to step, so the
 * iterations of successive steps add up and the solution converges over a few steps even where a
 * single 20-iteration solve cannot (a torque passed through a chain of light links: the vendor
 * humanoid's ankle drive delivered 4 N·m of the 44 N·m asked for without it, docs/simulation.md).
 *
 * Joint equations keep their identity (the same object every step). Contact and friction
 * equations are pooled and reused by cannon-es in any order, so they are matched by body pair,
 * the contact point in the first body's frame (on a CONTACT_CELL grid) and the row's kind.
 *
 * Real-time rules: solve() allocates only when the set of contacts grows (map entries).
 */
export class WarmStartSolver extends GSSolver {
  /** Fraction of last step's impulse used as the first guess (0 = cannon-es's cold start). */
  warmFactor = 1;
  /**
   * The same for an actuator row (sim/physics/JointDrive.ts) in a step where its joint's command
   * changed (JointRowEquation.commandHeld false): last step's impulse is then a worse guess than a
   * joint's or a contact's. At 1 the vendor humanoid under a small random policy blew up as it hit
   * the ground (state watchdog, hip pitch 3000 rad/s); at 0.5 it falls cleanly. Rows whose command
   * holds keep the full warm start, which a robot holding a pose needs (docs/simulation.md).
   */
  driveWarmFactor = 0.5;
  /**
   * Split impulse (Bullet's, Box2D's position solver) for the joint equations of world.constraints
   * (hinge and slider rows; not the actuator rows): the velocity solve, which is warm started,
   * leaves out their position-error term (SPOOK's −a·g), and a second, cold solve of that term
   * moves the bodies without changing their velocities. Warm starting the full rows fed last step's
   * drift correction back in as momentum: with 20 iterations the vendor humanoid standing on
   * straight legs at 200 Hz bounced on its rigid leg chains, rose 10 cm off the ground within 1 s
   * and fell, and a fallen one hopped a metre high (docs/simulation.md).
   */
  splitImpulse = true;
  /** Last impulse of each joint equation (N·s | N·m·s), and the solve it was stored by. */
  private jointLambda = new WeakMap<Equation, number>();
  private jointSolve = new WeakMap<Equation, number>();
  /** Solves since construction: a joint row that sat out a step (disabled) starts cold. */
  private solveCount = 0;
  /** Last impulse of each contact row by key, this step and the previous. */
  private contactPrev = new Map<number, number>();
  private contactNext = new Map<number, number>();
  /** Equations of world.constraints (by identity), and what they were collected from. */
  private jointRows = new WeakSet<Equation>();
  private indexedCount = -1;
  private indexedLast: Constraint | undefined;

  override solve(dt: number, world: World): number {
    const equations = this.equations;
    const neq = equations.length;
    const bodies = world.bodies;
    const nb = bodies.length;
    const tol2 = this.tolerance * this.tolerance;
    let iter = 0;
    const solve = ++this.solveCount;
    if (neq === 0) return 0;
    for (let i = 0; i !== nb; i++) {
      const b = bodies[i];
      b.updateSolveMassProperties();
      b.vlambda.set(0, 0, 0);
      b.wlambda.set(0, 0, 0);
    }
    _lambda.length = neq;
    _invC.length = neq;
    _B.length = neq;
    _Bp.length = neq;
    if (_inP[0].length < neq) _inP[0] = new Uint8Array(2 * neq);
    const inP = _inP[0];
    let nSplit = 0;
    const w = this.warmFactor;
    this.indexJointRows(world);
    for (let i = 0; i !== neq; i++) {
      const c = equations[i];
      _B[i] = (c as unknown as { computeB(h: number): number }).computeB(dt); // also sets the Jacobian the warm start below uses
      _invC[i] = 1 / c.computeC();
      _Bp[i] = 0;
      inP[i] = 0;
      if (this.splitImpulse && !(c instanceof JointRowEquation) && this.isJointRow(c)) {
        inP[i] = 1;
        // B = −a·g − b·G·v − h·G·M⁻¹·f: keep the velocity part here, the position part for later.
        const bv = -c.b * c.computeGW() - dt * c.computeGiMf();
        _Bp[i] = _B[i] - bv;
        _B[i] = bv;
        nSplit++;
      } else if (c instanceof ContactEquation || c instanceof FrictionEquation) inP[i] = 1;
      let l0 = 0;
      if (w > 0) {
        const key = this.isJointRow(c) ? -1 : contactKey(c);
        // A joint row's impulse counts only if it was solved in the previous step: a limit row
        // that just came in, or a drive switched back on, must not resume an impulse of long ago.
        const prev = key < 0 ? (this.jointSolve.get(c) === solve - 1 ? this.jointLambda.get(c) : undefined) : this.contactPrev.get(key);
        if (prev !== undefined) l0 = (c instanceof JointRowEquation && !c.commandHeld ? this.driveWarmFactor : w) * prev;
        if (l0 < c.minForce) l0 = c.minForce;
        else if (l0 > c.maxForce) l0 = c.maxForce;
        if (l0 !== 0) c.addToWlambda(l0);
      }
      _lambda[i] = l0;
    }
    for (iter = 0; iter !== this.iterations; iter++) {
      let total = 0;
      for (let j = 0; j !== neq; j++) {
        const c = equations[j];
        const lj = _lambda[j];
        let d = _invC[j] * (_B[j] - c.computeGWlambda() - c.eps * lj);
        if (lj + d < c.minForce) d = c.minForce - lj;
        else if (lj + d > c.maxForce) d = c.maxForce - lj;
        _lambda[j] = lj + d;
        total += d > 0 ? d : -d;
        c.addToWlambda(d);
      }
      if (total * total < tol2) break;
    }
    for (let i = 0; i !== nb; i++) {
      const b = bodies[i];
      b.vlambda.vmul(b.linearFactor, b.vlambda);
      b.velocity.vadd(b.vlambda, b.velocity);
      b.wlambda.vmul(b.angularFactor, b.wlambda);
      b.angularVelocity.vadd(b.wlambda, b.angularVelocity);
    }
    if (nSplit > 0) this.solvePositions(dt, world);
    const next = this.contactNext;
    next.clear();
    const invDt = 1 / dt;
    for (let i = 0; i !== neq; i++) {
      const c = equations[i];
      c.multiplier = _lambda[i] * invDt;
      const key = this.isJointRow(c) ? -1 : contactKey(c);
      if (key < 0) {
        this.jointLambda.set(c, _lambda[i]);
        this.jointSolve.set(c, solve);
      }
      else next.set(key, _lambda[i]);
    }
    this.contactNext = this.contactPrev;
    this.contactPrev = next;
    return iter;
  }

  /**
   * The position part of the split joint rows: a cold Gauss-Seidel solve of G·Δv = −a·g (the
   * other rows out), whose velocity change Δv moves the bodies by Δv·dt and is then dropped.
   * Called after the velocity solve has been added to the velocities, before cannon-es integrates.
   */
  private solvePositions(dt: number, world: World): void {
    const equations = this.equations;
    const neq = equations.length;
    const bodies = world.bodies;
    const nb = bodies.length;
    const tol2 = this.tolerance * this.tolerance;
    const inP = _inP[0];
    _lambdaP.length = neq;
    for (let i = 0; i !== nb; i++) {
      bodies[i].vlambda.set(0, 0, 0);
      bodies[i].wlambda.set(0, 0, 0);
    }
    for (let i = 0; i !== neq; i++) _lambdaP[i] = 0;
    for (let iter = 0; iter !== this.iterations; iter++) {
      let total = 0;
      for (let j = 0; j !== neq; j++) {
        if (inP[j] === 0) continue;
        const c = equations[j];
        const lj = _lambdaP[j];
        let d = _invC[j] * (_Bp[j] - c.computeGWlambda() - c.eps * lj);
        if (lj + d < c.minForce) d = c.minForce - lj;
        else if (lj + d > c.maxForce) d = c.maxForce - lj;
        _lambdaP[j] = lj + d;
        total += d > 0 ? d : -d;
        c.addToWlambda(d);
      }
      if (total * total < tol2) break;
    }
    for (let i = 0; i !== nb; i++) {
      const b = bodies[i];
      if (b.type !== Body.DYNAMIC) continue;
      const v = b.vlambda;
      const w = b.wlambda;
      b.position.x += v.x * b.linearFactor.x * dt;
      b.position.y += v.y * b.linearFactor.y * dt;
      b.position.z += v.z * b.linearFactor.z * dt;
      b.quaternion.integrate(w, dt, b.angularFactor, b.quaternion);
      b.quaternion.normalize();
      v.set(0, 0, 0);
      w.set(0, 0, 0);
    }
  }

  /**
   * Collects the equations of the world's constraints (joints, drives) when the constraint list
   * changes. They keep their identity step to step and are warm started by it: a hinge's three
   * pivot rows are cannon ContactEquations on the same body pair and anchor, which a contact key
   * cannot tell apart.
   */
  private indexJointRows(world: World): void {
    const cs = world.constraints;
    if (cs.length === this.indexedCount && (cs.length === 0 || cs[cs.length - 1] === this.indexedLast)) return;
    this.jointRows = new WeakSet();
    for (const c of cs) for (const e of c.equations) this.jointRows.add(e);
    this.indexedCount = cs.length;
    this.indexedLast = cs[cs.length - 1];
  }

  private isJointRow(c: Equation): boolean {
    return this.jointRows.has(c);
  }

  /** Forgets every stored impulse (after a reset or teleport). */
  forget(): void {
    this.contactPrev.clear();
    this.contactNext.clear();
    this.jointLambda = new WeakMap();
    this.jointSolve = new WeakMap();
  }
}

/**
 * A number naming a contact or friction row by body pair, contact point (in bi's frame, on a
 * CONTACT_CELL grid, ±2 m) and kind (0 normal, 1 and 2 friction tangents); −1 for any other row.
 * Ids below 1024, 10 bits per coordinate: 52 bits, exact in a double.
 */
function contactKey(c: Equation): number {
  let kind: number;
  let rx: number;
  let ry: number;
  let rz: number;
  if (c instanceof ContactEquation) {
    kind = 0;
    ({ x: rx, y: ry, z: rz } = c.ri);
  } else if (c instanceof FrictionEquation) {
    const t = c.t;
    kind = Math.abs(t.x) >= Math.abs(t.y) && Math.abs(t.x) >= Math.abs(t.z) ? 1 : 2;
    ({ x: rx, y: ry, z: rz } = c.ri);
  } else return -1;
  // The point in bi's frame: conj(q)·ri.
  const q = c.bi.quaternion;
  const ix = q.w * rx + q.y * rz - q.z * ry;
  const iy = q.w * ry + q.z * rx - q.x * rz;
  const iz = q.w * rz + q.x * ry - q.y * rx;
  const iw = q.x * rx + q.y * ry + q.z * rz;
  const lx = ix * q.w + iw * q.x - iy * q.z + iz * q.y;
  const ly = iy * q.w + iw * q.y - iz * q.x + ix * q.z;
  const lz = iz * q.w + iw * q.z - ix * q.y + iy * q.x;
  const cell = (v: number) => {
    const k = Math.round(v / CONTACT_CELL) + 512;
    return k < 0 ? 0 : k > 1023 ? 1023 : k;
  };
  const a = c.bi.id & 1023;
  const b = c.bj.id & 1023;
  return ((((a * 1024 + b) * 1024 + cell(lx)) * 1024 + cell(ly)) * 1024 + cell(lz)) * 4 + kind;
}

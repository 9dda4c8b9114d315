import { Narrowphase, Vec3, type Body, type ContactEquation, type ConvexPolyhedron, type FrictionEquation, type Plane, type Quaternion, type Shape, type World } from 'cannon-es';

const _normal = new Vec3();
const _vertex = new Vec3();
const _rel = new Vec3();
const _proj = new Vec3();

/** Normal force (N) and contact count of one body in the last physics step. */
export interface ContactLoad {
  normal: number;
  count: number;
}

/**
 * cannon-es's narrowphase with two changes for robots standing on the ground plane.
 *
 * - **Contact margin** (`margin`, m): a convex vertex up to `margin` above the plane still makes a
 *   contact row (speculative: its bias −a·g lets the gap close, the row pushes only once the
 *   vertex would pass the plane). cannon keeps only vertices at or below the plane, so a flat
 *   foot resting on it loses and regains corners every few steps as the penetration is
 *   corrected; each regained corner starts from zero impulse, the load jumps between corners and
 *   the foot rocks and slides (the 29-DoF vendor humanoid: 2-4 contacts per foot, step to step,
 *   docs/simulation.md). With a margin the four corners of a resting sole persist and keep their
 *   warm-started impulse.
 * - **Coulomb friction** (`coulomb`): cannon bounds each friction row's impulse by
 *   μ·g·(reduced mass), a bound that does not follow the load and, read as a force, is 1/dt times
 *   μ·m·g. With `coulomb` each friction row of a contact on a body in `load` is bounded by
 *   μ × (the body's normal force in the previous physics step / its contact count) × dt: Coulomb
 *   friction, one step lagged. A body's first contact step keeps cannon's bound.
 */
export class RobotNarrowphase extends Narrowphase {
  readonly load = new Map<Body, ContactLoad>();
  /** Physics step (s). */
  dt = 0.002;
  /** Plane-convex contact margin (m); 0 = cannon's rule. */
  margin = 0;
  /** Coulomb friction bounds on the bodies in `load`. */
  coulomb = false;

  constructor(world: World) {
    super(world);
  }

  /** Normal force and contact count per body in `load` from the step just taken (Coulomb friction). Allocates nothing. */
  measureLoads(contacts: readonly ContactEquation[]): void {
    this.clearLoads();
    for (let c = 0; c < contacts.length; c++) {
      const eq = contacts[c];
      const l = this.load.get(eq.bi) ?? this.load.get(eq.bj);
      if (l === undefined) continue;
      const f = eq.multiplier > 0 ? eq.multiplier : 0;
      if (f === 0 && this.margin > 0) continue; // a speculative contact (within the margin) that carried nothing
      l.normal += f;
      l.count++;
    }
  }

  /** No load on any body (reset). */
  clearLoads(): void {
    for (const l of this.load.values()) {
      l.normal = 0;
      l.count = 0;
    }
  }

  override createFrictionEquationsFromContact(c: ContactEquation, out: FrictionEquation[]): boolean {
    const made = super.createFrictionEquationsFromContact(c, out);
    if (!this.coulomb || !made || out.length < 2) return made;
    const l = this.load.get(c.bi) ?? this.load.get(c.bj);
    if (l === undefined || l.count === 0) return made;
    const f1 = out[out.length - 1];
    const f2 = out[out.length - 2];
    const mu = this.currentContactMaterial.friction;
    const cap = ((mu * l.normal) / l.count) * this.dt;
    f1.maxForce = f2.maxForce = cap;
    f1.minForce = f2.minForce = -cap;
    return made;
  }

  /** cannon-es's planeConvex (bi = the plane), keeping vertices up to `margin` above the plane. */
  override planeConvex(
    planeShape: Plane,
    convexShape: ConvexPolyhedron,
    planePosition: Vec3,
    convexPosition: Vec3,
    planeQuat: Quaternion,
    convexQuat: Quaternion,
    planeBody: Body,
    convexBody: Body,
    si?: Shape,
    sj?: Shape,
    justTest?: boolean,
  ): true | void {
    const limit = justTest ? 0 : this.margin;
    _normal.set(0, 0, 1);
    planeQuat.vmult(_normal, _normal);
    const verts = convexShape.vertices;
    let made = 0;
    for (let i = 0; i !== verts.length; i++) {
      convexQuat.vmult(verts[i], _vertex);
      convexPosition.vadd(_vertex, _vertex);
      _vertex.vsub(planePosition, _rel);
      const dot = _normal.dot(_rel);
      if (dot > limit) continue;
      if (justTest) return true;
      const r = this.createContactEquation(planeBody, convexBody, planeShape, convexShape, si, sj);
      // The vertex projected on the plane, relative to the plane body; the vertex relative to the convex body.
      _normal.scale(dot, _proj);
      _vertex.vsub(_proj, _proj);
      _proj.vsub(planeBody.position, r.ri);
      r.ni.copy(_normal);
      _vertex.vsub(convexBody.position, r.rj);
      this.result.push(r);
      made++;
      if (!this.enableFrictionReduction) this.createFrictionEquationsFromContact(r, this.frictionResult);
    }
    if (this.enableFrictionReduction && made > 0) this.createFrictionFromAverage(made);
  }
}

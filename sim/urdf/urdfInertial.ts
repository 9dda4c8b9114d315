/**
 * A URDF link's <inertial>: read and checked (parseInertial), and, where it is zero, tiny or not
 * positive definite, settled once the link's parent joint is known (settleInertial): a frame or a
 * point mass on a fixed joint, a massless root, or a repair on a moving link. parseUrdf.ts calls
 * both; docs/urdf.md says what each case becomes.
 */
import type { UrdfFrameLink, UrdfInertial, UrdfJoint } from './parseUrdf.ts';
import { child, number, parseOrigin, requireAttr, type Fail, type Note, type XmlNode } from './urdfXml.ts';

/**
 * A link on a fixed joint with at most this mass (kg) is a frame (tool, IMU, camera mount), not a
 * body: CAD exports write 1e-9 kg or 0 kg with a zero tensor for them.
 */
export const FRAME_LINK_MASS = 1e-6;

/** Radius (m) of the sphere whose inertia stands in for a zero tensor on a moving link. */
const REPAIR_RADIUS = 0.02;

/**
 * What a moving link written with mass 0 gets when links below it have mass (a 2-DoF hip or wrist
 * as revolute -> massless link -> revolute, as CAD exporters write it; urdfdom reads it): 1 g and
 * 1e-5 kg·m² about each axis at its inertial origin. Both engines need a body with mass and a
 * positive-definite tensor on a moving joint (MuJoCo: "mass and inertia of moving bodies must be
 * larger than mjMINVAL"; cannon-es: an inverse mass and inertia). The moment is what keeps
 * cannon-es's iterative solver converged on such a link (docs/simulation.md, "Armature": light
 * links of tiny inertia are where it does not converge): revolute -> 1 g link -> revolute -> 0.5 kg
 * link on the default gains and no armature stood 4 s in both engines at 1e-5 kg·m², while at
 * 1e-6 and 1.6e-7 (a 2 cm sphere of 1 g) cannon-es's hip joints reached 60 rad/s and the state
 * watchdog stopped the run after 1.7 to 2.5 s; MuJoCo stood with every one (the scan in
 * docs/urdf.md). 1 g changes no robot's weight by more than a rounding. --strict refuses it.
 */
export const MASSLESS_LINK_MASS = 1e-3;
export const MASSLESS_LINK_INERTIA = 1e-5;

/** An <inertial> that is only acceptable on a fixed joint; settled once the joints are known. */
export interface PendingInertial {
  readonly pending: true;
  readonly inertial: UrdfInertial;
  readonly where: string;
  /** The tensor is all zeros. */
  readonly zero: boolean;
  /** The tensor is not positive definite. */
  readonly degenerate: boolean;
}

export function parseInertial(l: XmlNode, linkWhere: string, fail: Fail, note: Note): UrdfInertial | PendingInertial | undefined {
  const node = child(l, 'inertial');
  if (node === undefined) return undefined;
  const where = `${linkWhere} <inertial>`;
  const massNode = child(node, 'mass');
  if (massNode === undefined) fail('URDF_ATTRIBUTE', where, 'has no <mass>', '<mass value="..."/>');
  const mass = number(requireAttr(massNode!, 'value', `${where} <mass>`, fail), `${where} <mass>`, 'value', fail);
  if (mass < 0) fail('URDF_MASS', `${where} <mass>`, `mass is ${mass}`, 'a mass > 0 kg');
  const inertia = child(node, 'inertia');
  if (inertia === undefined) fail('URDF_ATTRIBUTE', where, 'has no <inertia>', '<inertia ixx ixy ixz iyy iyz izz/>');
  const iw = `${where} <inertia>`;
  const get = (k: string): number => number(requireAttr(inertia!, k, iw, fail), iw, k, fail);
  const ixx = get('ixx');
  const iyy = get('iyy');
  const izz = get('izz');
  const ixy = get('ixy');
  const ixz = get('ixz');
  const iyz = get('iyz');
  const inertial: UrdfInertial = { origin: parseOrigin(child(node, 'origin'), `${where} <origin>`, fail), mass, ixx, ixy, ixz, iyy, iyz, izz };
  // Positive definite: the leading principal minors are > 0 (Sylvester's criterion).
  const m2 = ixx * iyy - ixy * ixy;
  const det = ixx * (iyy * izz - iyz * iyz) - ixy * (ixy * izz - iyz * ixz) + ixz * (ixy * iyz - iyy * ixz);
  const degenerate = !(ixx > 0 && m2 > 0 && det > 0);
  if (degenerate || mass <= FRAME_LINK_MASS) {
    const zero = [ixx, iyy, izz, ixy, ixz, iyz].every((v) => v === 0);
    return { pending: true, inertial, where, zero, degenerate };
  }
  // A rigid body's principal moments obey the triangle inequality; CAD exports often break it a little.
  const slack = 1e-9 * (ixx + iyy + izz);
  if (ixx + iyy < izz - slack || iyy + izz < ixx - slack || ixx + izz < iyy - slack) {
    note('URDF_INERTIA_TRIANGLE', iw, `moments ${ixx} ${iyy} ${izz} break the triangle inequality (no rigid body has them); used as given`);
  }
  checkScale(inertial, where, note);
  return inertial;
}

/**
 * Beyond this (m), a link's radius of gyration or centre-of-mass offset is no robot part's: a value
 * in another unit (mm for m, kg·mm² or g·cm² for kg·m²) read as SI, which the exporter got wrong.
 */
export const IMPLAUSIBLE_LENGTH = 2;

/**
 * A note, not an error (the file may describe a crane): a radius of gyration sqrt(trace / 2m)
 * (the root-mean-square distance of the mass from its centre) or a centre of mass farther than
 * IMPLAUSIBLE_LENGTH. The simulation runs with the values as given; a link whose inertia is 10^6
 * too large barely moves, and its robot falls or stalls without another hint.
 */
function checkScale(i: UrdfInertial, where: string, note: Note): void {
  const gyration = Math.sqrt((i.ixx + i.iyy + i.izz) / (2 * i.mass));
  const [x, y, z] = i.origin.xyz;
  const offset = Math.hypot(x, y, z);
  const m = (v: number) => `${Number(v.toPrecision(3))} m`;
  const found = [
    ...(gyration > IMPLAUSIBLE_LENGTH ? [`inertia [${i.ixx} ${i.iyy} ${i.izz}] kg·m² for ${i.mass} kg puts the mass ${m(gyration)} from its centre on average (radius of gyration): inertia in another unit (kg·mm², g·cm²)?`] : []),
    ...(offset > IMPLAUSIBLE_LENGTH ? [`the centre of mass is ${m(offset)} from the link's frame: an origin in mm?`] : []),
  ];
  if (found.length > 0) note('URDF_INERTIAL_SCALE', where, `${found.join('; ')} Used as given`);
}

/** settleInertial's verdict: the link's inertial, and what the import made of it where it did not take the file's. */
interface SettledInertial {
  readonly inertial: UrdfInertial | undefined;
  readonly frameLink?: UrdfFrameLink;
  readonly rootMassless?: true;
}

/**
 * The verdict on a zero, tiny or degenerate inertial once the link's parent joint is known:
 *  - on a fixed joint, mass <= FRAME_LINK_MASS (mass 0 only with a zero tensor): a massless frame,
 *    merged into its parent body (undefined, note URDF_FRAME_LINK, frameLink 'massless');
 *  - on a fixed joint, a real mass with a zero or degenerate tensor: a point mass at its centre
 *    of mass (tensor zeroed; the merged body's inertia comes from the parallel-axis term;
 *    frameLink 'point-mass');
 *  - on the root, mass 0 (or at most FRAME_LINK_MASS with a zero tensor): no inertial, as a root
 *    without <inertial> (pybullet writes a static base so; the root is then fixed to the world
 *    unless links fixed to it have mass), note URDF_ROOT_MASSLESS, rootMassless;
 *  - on a moving joint with mass on the links below (`massBelow`): mass 0 is a stand-in of
 *    MASSLESS_LINK_MASS with a note (URDF_MASS_STAND_IN; --strict refuses it);
 *  - on a moving joint or the root otherwise: mass 0 is URDF_MASS; a degenerate tensor with a frame's mass
 *    (<= FRAME_LINK_MASS) is URDF_INERTIA, with a real mass it is repaired with a note
 *    (URDF_INERTIA_REPAIRED; --strict refuses it); a tiny mass with a positive-definite tensor is
 *    used as given.
 */
export function settleInertial(p: PendingInertial, linkName: string, joint: UrdfJoint | undefined, fail: Fail, note: Note, massBelow = 0): SettledInertial {
  const { inertial, where } = p;
  const { mass, ixx, ixy, ixz, iyy, iyz, izz } = inertial;
  const tensor = `[${ixx} ${ixy} ${ixz}; ${ixy} ${iyy} ${iyz}; ${ixz} ${iyz} ${izz}]`;
  if (joint?.type === 'fixed') {
    if (mass <= FRAME_LINK_MASS && (mass > 0 || p.zero)) {
      note('URDF_FRAME_LINK', `<link name="${linkName}">`, `mass ${mass} kg${p.degenerate ? `, inertia ${tensor}` : ''} on <joint name="${joint.name}"> (fixed): merged into its parent as a massless frame`);
      return { inertial: undefined, frameLink: { as: 'massless', joint: joint.name, into: joint.parent } };
    }
    if (mass > 0) {
      note('URDF_FRAME_LINK', `<link name="${linkName}">`, `inertia ${tensor} is not positive definite on <joint name="${joint.name}"> (fixed): merged into its parent as a point mass of ${mass} kg`);
      return { inertial: { ...inertial, ixx: 0, ixy: 0, ixz: 0, iyy: 0, iyz: 0, izz: 0 }, frameLink: { as: 'point-mass', joint: joint.name, into: joint.parent } };
    }
    return fail('URDF_MASS', `${where} <mass>`, `mass is 0 with a non-zero inertia ${tensor}`, 'a mass > 0 kg (or mass 0 with a zero inertia for a frame on a fixed joint)');
  }
  if (joint === undefined && (mass === 0 || (mass <= FRAME_LINK_MASS && p.zero))) {
    // pybullet's (and Gazebo's) way of writing a static base: the root without mass, as a root without <inertial>.
    note('URDF_ROOT_MASSLESS', `<link name="${linkName}">`, `the root has mass ${mass} kg${p.zero ? '' : ` (inertia ${tensor} dropped)`}: taken as a root without <inertial>`);
    return { inertial: undefined, rootMassless: true };
  }
  const moves = joint === undefined ? '' : ` on a link that moves (child of <joint name="${joint.name}">, ${joint.type})`;
  if (mass === 0 && joint !== undefined && massBelow > 0) {
    // The middle link of a 2-DoF joint: a stand-in mass with a note (MASSLESS_LINK_MASS says why).
    note(
      'URDF_MASS_STAND_IN',
      `${where} <mass>`,
      `mass is 0${moves}, with ${Number(massBelow.toPrecision(4))} kg on the links below it: taken as ${MASSLESS_LINK_MASS} kg and ${MASSLESS_LINK_INERTIA} kg·m² about each axis at its inertial origin (both simulators need a mass on a moving body; --strict refuses it)`,
    );
    return { inertial: { ...inertial, mass: MASSLESS_LINK_MASS, ixx: MASSLESS_LINK_INERTIA, iyy: MASSLESS_LINK_INERTIA, izz: MASSLESS_LINK_INERTIA, ixy: 0, ixz: 0, iyz: 0, repaired: true, massless: true } };
  }
  if (mass === 0)
    fail('URDF_MASS', `${where} <mass>`, `mass is 0${moves}${joint !== undefined ? ' and nothing below it has mass' : ''}`, 'a mass > 0 kg (a link of mass 0 that moves is taken only as the middle of a chain whose links below have mass; a frame goes on a fixed joint)');
  if (p.degenerate && mass <= FRAME_LINK_MASS) {
    fail('URDF_INERTIA', `${where} <inertia>`, `the tensor ${tensor} is not positive definite${moves}, with a frame's mass (${mass} kg)`, 'a positive-definite inertia (kg·m²) and a real mass on a link that moves (a zero tensor is accepted only on a link hanging on a fixed joint)');
  }
  if (p.degenerate) {
    // Fetch's r_gripper_finger_link ships [0.002 0 0; 0 0 0; 0 0 0]: refusing it leaves no way but
    // editing the vendor's file. As a link without <inertial>: a stated repair and a note, refused
    // under --strict (URDF_INERTIA then). The mass and the inertial frame stay.
    const largest = Math.max(Math.abs(ixx), Math.abs(iyy), Math.abs(izz));
    const moment = largest > 0 ? largest : 0.4 * mass * REPAIR_RADIUS ** 2;
    note('URDF_INERTIA_REPAIRED', `${where} <inertia>`, `the tensor ${tensor} is not positive definite${moves}: taken as ${moment} kg·m² about each axis of its inertial frame (${largest > 0 ? 'its largest moment' : `a ${REPAIR_RADIUS * 100} cm sphere of its mass`}; --strict refuses it)`);
    return { inertial: { ...inertial, ixx: moment, iyy: moment, izz: moment, ixy: 0, ixz: 0, iyz: 0, repaired: true } };
  }
  return { inertial };
}

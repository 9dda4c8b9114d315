import type { UrdfJoint, UrdfJointType, UrdfLink, Vec3Tuple } from './parseUrdf.ts';
import { attr, child, numbers, optionalNumber, parseOrigin, requireAttr, type Fail, type Note, type XmlNode } from './urdfXml.ts';

/**
 * One URDF `<joint>` element -> a checked UrdfJoint: its type, parent and child links (which must
 * exist), origin (m, rad; in the parent link's frame), unit axis, `<limit>` (rad or m; N·m or N;
 * rad/s or m/s) and `<dynamics>`, with the vendor-file placeholders (CAD exporters' zero limits,
 * absent effort/velocity) read as docs/urdf.md says. The tree and `<mimic>` are built from the
 * joints afterwards, by parseUrdf (sim/urdf/parseUrdf.ts) and urdfMimic.ts.
 */

const JOINT_TYPES: readonly UrdfJointType[] = ['revolute', 'continuous', 'prismatic', 'fixed'];

/** Reads one `<joint>` named `name`; throws through `fail` on bad input, says placeholders through `note`. */
export function parseJoint(j: XmlNode, name: string, where: string, linkByName: ReadonlyMap<string, UrdfLink>, fail: Fail, note: Note): UrdfJoint {
  const typeText = requireAttr(j, 'type', where, fail);
  if (!(JOINT_TYPES as readonly string[]).includes(typeText)) {
    const todo =
      typeText === 'floating'
        ? ' (a floating joint is read only as the robot\'s free base: from a root link with no geometry, no mass and no other joint, as <link name="world"/>; axon floats a URDF\'s root by default, so elsewhere a fixed joint in its place, or the joint and its parent link removed when the child is the base)'
        : typeText === 'planar'
          ? ' (a planar joint: two prismatic joints and a revolute one through massless links in its place, or a fixed joint)'
          : '';
    fail('URDF_JOINT_TYPE', where, `type "${typeText}" is not supported`, `${JOINT_TYPES.join(' | ')}${todo}`);
  }
  const type = typeText as UrdfJointType;
  const parentNode = child(j, 'parent');
  const childNode = child(j, 'child');
  if (parentNode === undefined) fail('URDF_ATTRIBUTE', where, 'has no <parent>', '<parent link="..."/>');
  if (childNode === undefined) fail('URDF_ATTRIBUTE', where, 'has no <child>', '<child link="..."/>');
  const parent = requireAttr(parentNode!, 'link', `${where} <parent>`, fail);
  const childLink = requireAttr(childNode!, 'link', `${where} <child>`, fail);
  if (!linkByName.has(parent)) fail('URDF_MISSING_LINK', `${where} <parent>`, `link "${parent}" does not exist`, 'the name of a <link> in this robot');
  if (!linkByName.has(childLink)) fail('URDF_MISSING_LINK', `${where} <child>`, `link "${childLink}" does not exist`, 'the name of a <link> in this robot');
  const origin = parseOrigin(child(j, 'origin'), `${where} <origin>`, fail);

  let axis: Vec3Tuple = [1, 0, 0];
  const axisNode = child(j, 'axis');
  if (axisNode !== undefined && type !== 'fixed') {
    const a = numbers(requireAttr(axisNode, 'xyz', `${where} <axis>`, fail), 3, `${where} <axis>`, 'xyz', fail);
    const n = Math.hypot(a[0], a[1], a[2]);
    if (!(n > 1e-9)) fail('URDF_NUMBER', `${where} <axis>`, `attribute "xyz" is "${attr(axisNode, 'xyz')}", a zero vector`, 'a non-zero axis');
    axis = [a[0] / n, a[1] / n, a[2] / n];
  }

  let lower = -Infinity;
  let upper = Infinity;
  let effort = Infinity;
  let velocity = Infinity;
  const limit = child(j, 'limit');
  if (type === 'revolute' || type === 'prismatic') {
    if (limit === undefined) fail('URDF_ATTRIBUTE', where, `a ${type} joint has no <limit>`, '<limit lower upper effort velocity>');
    // The URDF spec requires both; vendor files written for simulators that default them (ManiSkill's koch arm) leave them out.
    effort = optionalNumber(limit!, 'effort', Infinity, `${where} <limit>`, fail);
    velocity = optionalNumber(limit!, 'velocity', Infinity, `${where} <limit>`, fail);
    const absent = (['effort', 'velocity'] as const).filter((k) => attr(limit!, k) === undefined);
    if (absent.length > 0) note('URDF_LIMIT_DEFAULTED', `${where} <limit>`, `no ${absent.join(' and no ')} attribute (the URDF spec requires them): taken as unlimited, so the supervisor has no ${absent.map((k) => (k === 'effort' ? 'effort clamp' : 'per-tick step limit')).join(' and no ')} for it; give the actuator's in a manifest (actuators.${absent.map((k) => `${k}_limit`).join(', actuators.')})`);
    lower = optionalNumber(limit!, 'lower', 0, `${where} <limit>`, fail);
    upper = optionalNumber(limit!, 'upper', 0, `${where} <limit>`, fail);
    if (lower > upper) fail('URDF_LIMIT', `${where} <limit>`, `lower ${lower} is above upper ${upper}`, 'lower <= upper');
    if (attr(limit!, 'lower') === undefined && attr(limit!, 'upper') === undefined)
      note('URDF_LIMIT_RANGE_ABSENT', `${where} <limit>`, `gives no lower and no upper: both 0, as the URDF spec says, so the ${type} joint cannot move; write its range if it should (legged_gym's anymal_c.urdf leaves them out)`);
    else if (lower === 0 && upper === 0) {
      // SolidWorks' sw_urdf_exporter writes lower="0" upper="0" on every joint whose range nobody
      // entered; a side left out is 0 too (the spec's default).
      const written = (['lower', 'upper'] as const).map((k) => (attr(limit!, k) === undefined ? `no ${k} (0)` : `${k}="${attr(limit!, k)}"`)).join(' ');
      note('URDF_LIMIT_RANGE_ZERO', `${where} <limit>`, `${written}: the ${type} joint cannot move, read as written (a CAD exporter writes this when no range was entered); write its range if it should, or make it a fixed joint`);
    }
  } else if (type === 'continuous' && limit !== undefined) {
    effort = optionalNumber(limit, 'effort', Infinity, `${where} <limit>`, fail);
    velocity = optionalNumber(limit, 'velocity', Infinity, `${where} <limit>`, fail);
  }
  if (effort < 0) fail('URDF_LIMIT', `${where} <limit>`, `effort ${effort} is negative`, 'effort >= 0');
  if (velocity < 0) fail('URDF_LIMIT', `${where} <limit>`, `velocity ${velocity} is negative`, 'velocity >= 0');
  if (limit !== undefined) {
    // CAD exporters write effort="0" velocity="0" on every joint (SolidWorks' sw_urdf_exporter; the
    // Allegro hand's description ships so): read literally, a joint that can exert nothing and never
    // move, which no such file means. Both 0: placeholders, taken as absent. Velocity 0 alone cannot
    // mean anything either. Effort 0 alone stays a passive joint, never driven (the cartpole's hinge;
    // `describe` marks it).
    if (velocity === 0) {
      const both = effort === 0;
      velocity = Infinity;
      if (both) effort = Infinity;
      note('URDF_LIMIT_ZERO', `${where} <limit>`, `${both ? 'effort="0" velocity="0"' : 'velocity="0"'} (placeholder${both ? 's' : ''} a CAD exporter writes; read literally the joint could ${both ? 'exert nothing and ' : ''}never move): taken as unlimited, so the supervisor has no ${both ? 'effort clamp and no ' : ''}per-tick step limit for it; give the actuator's in a manifest (actuators.${both ? 'effort_limit, actuators.' : ''}velocity_limit)`);
    }
  }

  let damping = 0;
  let friction = 0;
  const dyn = child(j, 'dynamics');
  if (dyn !== undefined) {
    damping = optionalNumber(dyn, 'damping', 0, `${where} <dynamics>`, fail);
    friction = optionalNumber(dyn, 'friction', 0, `${where} <dynamics>`, fail);
    if (damping < 0 || friction < 0) fail('URDF_NUMBER', `${where} <dynamics>`, `damping ${damping} / friction ${friction} is negative`, 'damping >= 0 and friction >= 0');
  }
  return { name, type, parent, child: childLink, origin, axis, lower, upper, effort, velocity, damping, friction };
}

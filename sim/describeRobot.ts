import { SimRobot, type SimRobotOptions } from './SimRobot.ts';
import { loadUrdf } from './urdf/loadUrdf.ts';
import type { UrdfModel } from './urdf/parseUrdf.ts';
import type { JointSpec } from '../src/core/robot.ts';

export interface UrdfSimRobotOptions extends SimRobotOptions {
  /** Folders searched for package://PKG (`--urdf-package-path`); $ROS_PACKAGE_PATH is added. */
  readonly packagePaths?: readonly string[];
}

/**
 * A user's URDF file in simulation (`axon sim --urdf FILE`): meshes resolved against the file's
 * folder and the package paths, collision meshes fitted (default convex hulls), checks applied
 * (`strict` refuses a moving link without <inertial>). What was ignored or approximated is in
 * `robot.notes`; print them once.
 */
export function createUrdfSimRobot(file: string, o: UrdfSimRobotOptions = {}): SimRobot {
  const { packagePaths, ...options } = o;
  // --mesh-collision none reads no collision mesh: a URDF copied without its meshes still loads.
  return new SimRobot(loadUrdf(file, { packagePaths: packagePaths ?? [], collisionMeshes: options.meshCollision === 'none' ? 'optional' : 'required' }), options);
}

/**
 * `axon describe ROBOT.urdf`: the kinematic tree (links indented under their parent, with the
 * joint's type, axis and limits), the joints in the order axon uses, total mass, actuated joint
 * count, and every note (what was ignored, approximated or defaulted). Plain text lines.
 */
export function describeRobot(model: UrdfModel, robot: SimRobot): string[] {
  const out: string[] = [];
  const fmt = (v: number) => (Number.isFinite(v) ? String(+v.toFixed(4)) : v > 0 ? 'inf' : '-inf');
  const frames = new Set(robot.frameNames());
  const bodies = new Set(robot.bodyLinkNames());
  const total = model.links.reduce((m, l) => m + robot.linkMass(l.name), 0);
  const passive = robot.spec.joints.filter((j) => j.effortLimit === 0 && j.mimic === undefined).length;
  const mimic = robot.spec.joints.filter((j) => j.mimic !== undefined).length;
  const also = [passive > 0 ? `${passive} passive: effort 0` : '', mimic > 0 ? `${mimic} follow another: <mimic>` : ''].filter((x) => x !== '');
  out.push(`robot ${model.name}: ${model.links.length} links, ${model.joints.length} joints, ${robot.spec.joints.length} actuated${also.length > 0 ? ` (${also.join('; ')})` : ''}, total mass ${total.toFixed(3)} kg, ${bodies.has(model.root) ? 'floating base' : 'fixed base'}`);
  out.push('tree (from parent/child links):');
  const walk = (link: string, depth: number): void => {
    const l = model.linkByName.get(link)!;
    const tag = frames.has(link) ? ' [frame]' : bodies.has(link) ? ' [body]' : '';
    const mass = robot.linkMass(link);
    const shapes = l.collisions.map((c) => (c.geometry.kind === 'mesh' ? `mesh ${c.geometry.filename.split('/').pop()}` : c.geometry.kind));
    out.push(`${'  '.repeat(depth + 1)}${link}${tag}${mass > 0 ? ` ${+mass.toPrecision(4)} kg` : ''}${shapes.length ? ` collision: ${shapes.join(', ')}` : ''}`);
    for (const j of model.childJoints.get(link) ?? []) {
      const lim = j.type === 'revolute' || j.type === 'prismatic' ? ` [${fmt(j.lower)}, ${fmt(j.upper)}] effort ${fmt(j.effort)} velocity ${fmt(j.velocity)}` : j.type === 'continuous' ? ` effort ${fmt(j.effort)} velocity ${fmt(j.velocity)}` : '';
      out.push(`${'  '.repeat(depth + 2)}<- ${j.name} (${j.type}${j.type === 'fixed' ? '' : ` axis ${j.axis.map(fmt).join(' ')}`}${lim})`);
      walk(j.child, depth + 2);
    }
  };
  walk(model.root, 0);
  out.push('actuated joints in axon order:');
  const follows = (m: NonNullable<JointSpec['mimic']>) => ` (mimic: follows ${m.joint}, q = ${fmt(m.multiplier)}·q ${m.offset < 0 ? '-' : '+'} ${fmt(Math.abs(m.offset))}; not driven)`;
  robot.spec.joints.forEach((j, i) => out.push(`  ${i}: ${j.name} ${j.type} [${fmt(j.lower)}, ${fmt(j.upper)}] effort ${fmt(j.effortLimit)}${j.mimic ? follows(j.mimic) : j.effortLimit === 0 ? ' (passive: never driven)' : ''} velocity ${fmt(j.velocityLimit)}`));
  if (robot.notes.length > 0) {
    out.push('approximated / ignored:');
    for (const n of robot.notes) out.push(`  ${n.code}: ${n.where}: ${n.message}`);
  }
  return out;
}

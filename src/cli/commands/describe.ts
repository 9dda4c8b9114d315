import { Command, Option } from '@commander-js/extra-typings';
import { readFileSync } from 'node:fs';
import { createUrdfSimRobot, describeRobot } from '../../../sim/index.ts';
import { repeated } from '../args.ts';
import { defaultGains, DEFAULT_GAINS_RULE } from '../defaultGains.ts';
import type { ModelManifest } from '../../model/manifest.ts';
import { urdfImuLink } from './inspect.ts';

/**
 * An MJCF (a <mujoco> model and no <robot>), told apart from a URDF that carries a <mujoco> block.
 * A file that cannot be read is an MJCF when named .xml (MJCF's extension; a URDF's is .urdf), so
 * that the MJCF loader, not the URDF one, says it is missing.
 */
function isMjcf(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  } catch {
    return /\.xml$/i.test(file); // the loader names a missing or unreadable file
  }
  return /<mujoco\b/.test(text) && !/<robot\b/.test(text);
}

/** `axon describe MODEL.xml`: the MJCF as `axon sim --mjcf` builds it (MuJoCo loaded only here). */
async function describeMjcf(file: string, json: boolean): Promise<void> {
  const { createMujocoMjcfRobot } = await import('../../../sim/mujoco/createMujocoRobot.ts');
  const robot = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains });
  try {
    const s = robot.mjcfSetup;
    const joints = robot.spec.joints;
    if (json) {
      console.log(JSON.stringify({ robot: robot.spec.name, format: 'mjcf', floating_base: s.floating, imu_link: s.imuLink, default_pose: s.pose, total_mass_kg: s.mass, gains: s.gains, joints, notes: robot.notes }));
      return;
    }
    const passive = joints.filter((j) => j.effortLimit === 0).length;
    const fmt = (x: number) => (Number.isFinite(x) ? String(+x.toPrecision(6)) : x > 0 ? 'inf' : '-inf');
    console.log(`robot ${robot.spec.name} (MJCF): ${joints.length} hinge/slide joints, ${joints.length - passive} driven, ${passive} passive, total mass ${+s.mass.toFixed(3)} kg, ${s.floating ? 'floating' : 'fixed'} base, IMU ${s.imuLink ?? 'none'}, default pose from the ${s.pose}`);
    console.log(`joints in axon order (model order), as axon sim --mjcf drives them (gains: the model's position actuators, else ${DEFAULT_GAINS_RULE}):`);
    for (const j of joints)
      console.log(`  ${j.name} ${j.type} [${fmt(j.lower)}, ${fmt(j.upper)}] effort ${fmt(j.effortLimit)}${j.effortLimit === 0 ? ' (passive)' : `, kp ${fmt(j.kp)} kd ${fmt(j.kd)}`}, default ${fmt(j.defaultPosition)}`);
    for (const n of robot.notes) console.log(`note ${n.code}: ${n.where}: ${n.message}`);
  } finally {
    robot.dispose();
  }
}

/** `axon describe ROBOT.urdf`: the robot as axon will simulate it. */
export function describeCommand() {
  return new Command('describe')
    .description('Print a URDF as axon loads it: the kinematic tree, the joints in axon order (type, axis, limits), total mass, actuated joint count, and what was approximated or ignored. An MJCF (<mujoco> model) is printed as axon sim --mjcf builds it.')
    .argument('<urdf>', 'URDF file, or an MJCF model file')
    .option('--urdf-package-path <dir>', 'folders searched for package://PKG mesh paths (a folder holding PKG/, or PKG itself: named PKG or its package.xml naming PKG, there or one level below); $ROS_PACKAGE_PATH is added (repeat the flag for more)', repeated, [] as string[])
    .option('--strict', 'refuse a moving link without <inertial> (URDF_NO_INERTIAL) or with mass 0 (URDF_MASS) instead of giving it a default', false)
    .addOption(new Option('--mesh-collision <mode>', 'collision meshes become').choices(['hull', 'box', 'capsule', 'none'] as const).default('hull' as const))
    .option('--json', 'print one JSON object instead of text', false)
    .action(async (file, o) => {
      if (isMjcf(file)) return describeMjcf(file, o.json);
      const robot = createUrdfSimRobot(file, { packagePaths: o.urdfPackagePath, strict: o.strict, meshCollision: o.meshCollision });
      const floating = robot.bodyLinkNames().includes(robot.model.root);
      // The IMU as axon sim --urdf picks it with no manifest imu_link (a model reading IMU terms gets the fixed root's too).
      const imu = urdfImuLink(robot.model, { observation: { terms: [{ term: 'base_ang_vel' }] } } as unknown as ModelManifest, !floating).imu;
      if (!o.json) {
        const lines = describeRobot(robot.model, robot);
        lines.splice(1, 0, `IMU: ${imu ? `${imu.link} (${imu.why})` : 'none'}, as axon sim --urdf reads it without --imu-link`);
        for (const line of lines) console.log(line);
        return;
      }
      console.log(
        JSON.stringify({
          robot: robot.model.name,
          root: robot.model.root,
          floating_base: floating,
          imu: imu ?? null,
          total_mass_kg: robot.model.links.reduce((m, l) => m + robot.linkMass(l.name), 0),
          joints: robot.spec.joints,
          frames: robot.frameNames(),
          meshes: robot.meshReports,
          notes: robot.notes,
        }),
      );
    });
}

import { Command, Option } from '@commander-js/extra-typings';
import { createUrdfSimRobot, describeRobot } from '../../../sim/index.ts';

/** `axon describe ROBOT.urdf`: the robot as axon will simulate it. */
export function describeCommand() {
  return new Command('describe')
    .description('Print a URDF as axon loads it: the kinematic tree, the joints in axon order (type, axis, limits), total mass, actuated joint count, and what was approximated or ignored.')
    .argument('<urdf>', 'URDF file')
    .option('--urdf-package-path <dirs...>', 'folders searched for package://PKG mesh paths (a folder holding PKG/, or PKG itself); $ROS_PACKAGE_PATH is added', [] as string[])
    .option('--strict', 'refuse a moving link without <inertial> (URDF_NO_INERTIAL) instead of giving it a default', false)
    .addOption(new Option('--mesh-collision <mode>', 'collision meshes become').choices(['hull', 'box', 'capsule', 'none'] as const).default('hull' as const))
    .option('--json', 'print one JSON object instead of text', false)
    .action((file, o) => {
      const robot = createUrdfSimRobot(file, { packagePaths: o.urdfPackagePath, strict: o.strict, meshCollision: o.meshCollision });
      if (!o.json) {
        for (const line of describeRobot(robot.model, robot)) console.log(line);
        return;
      }
      console.log(
        JSON.stringify({
          robot: robot.model.name,
          root: robot.model.root,
          floating_base: robot.bodyLinkNames().includes(robot.model.root),
          total_mass_kg: robot.model.links.reduce((m, l) => m + robot.linkMass(l.name), 0),
          joints: robot.spec.joints,
          frames: robot.frameNames(),
          meshes: robot.meshReports,
          notes: robot.notes,
        }),
      );
    });
}

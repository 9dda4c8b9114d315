/**
 * What posing a bridged robot's drawing costs the client per viewer frame (docs/bridge.md,
 * "Drawing the served robot"): `npx tsx tests/bench/bridgeDrawingPose.ts FILE.urdf [PACKAGE_DIR...]`.
 * The drawing is src/cli/replayDrawing.ts's urdfRobot, as src/cli/bridgeDrawing.ts makes it: each
 * frame puts it at joint positions and a base pose (ViewerRobot.poseFrom) and reads every link's pose,
 * off the tick, on the loop's thread. 2,000 frames to warm up, then 5,000 timed. Not part of `npm run bench`.
 */
import { loadUrdf } from '../../sim/index.ts';
import type { RobotSpec } from '../../src/core/robot.ts';
import { urdfRobot } from '../../src/cli/replayDrawing.ts';
import { movingJoints } from '../../src/cli/urdfSession.ts';

async function main(): Promise<void> {
  const [file, ...packagePaths] = process.argv.slice(2);
  if (!file) throw new Error('usage: npx tsx tests/bench/bridgeDrawingPose.ts FILE.urdf [PACKAGE_DIR...]');
  const model = loadUrdf(file, { collisionMeshes: 'optional', packagePaths });
  const joints = movingJoints(model).map((j) => ({ name: j.name }));
  const spec = { name: model.name, joints, sensors: { imu: false, contacts: [] }, controlModes: ['position'] } as unknown as RobotSpec;
  const drawing = urdfRobot(model, spec, true, {}, () => {}, 'bench');
  const n = joints.length;
  const q = new Float32Array(n);
  const basePosition = new Float32Array([0, 0, 0.8]);
  const baseOrientation = new Float32Array([0, 0, 0, 1]);
  const links = model.links.map((l) => l.name);
  const pos = new Float64Array(3);
  const quat = new Float64Array(4);
  const frame = (k: number) => {
    for (let i = 0; i < n; i++) q[i] = Math.sin(k + i);
    drawing.showPose(q, basePosition, baseOrientation);
    for (const l of links) drawing.linkPose!(l, pos, quat);
  };
  for (let k = 0; k < 2000; k++) frame(k);
  const us: number[] = [];
  for (let k = 0; k < 5000; k++) {
    const t0 = performance.now();
    frame(k);
    us.push((performance.now() - t0) * 1000);
  }
  us.sort((a, b) => a - b);
  console.log(`${model.name}: ${links.length} links, ${n} moving joints: per frame p50 ${us[2500].toFixed(1)} µs, p99 ${us[4950].toFixed(1)} µs, max ${us[4999].toFixed(1)} µs`);
  await drawing.close();
}

void main();

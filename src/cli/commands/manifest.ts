import { Command } from '@commander-js/extra-typings';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../core/errors.ts';
import { isObj } from '../../model/importers/common.ts';
import { manifestFromIsaacLab } from '../../model/importers/isaaclab.ts';
import { manifestFromLeggedGym } from '../../model/importers/leggedGym.ts';
import type { ModelManifest } from '../../model/manifest.ts';

function readConfig(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new UsageError('<config>', `no such file ${file}`);
  let v: unknown;
  try {
    v = parseYaml(readFileSync(file, 'utf8')); // YAML is a superset of JSON
  } catch (e) {
    throw new UsageError('<config>', `${file} is not valid YAML/JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObj(v)) throw new UsageError('<config>', `${file} does not hold a mapping at the top`);
  return v;
}

const joints = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

function emit(m: ModelManifest, out: string | undefined): void {
  const text = JSON.stringify(m, null, 2) + '\n';
  if (out) {
    writeFileSync(out, text);
    console.log(`wrote ${out}: ${m.joints.length} joints, ${m.observation.terms.length} observation terms, ${m.control_hz} Hz; put it beside the ONNX file and check it with axon inspect`);
  } else process.stdout.write(text);
}

export function manifestCommand() {
  const cmd = new Command('manifest').description('Write a model manifest from a training pipeline\'s own config files.');
  cmd
    .command('from-isaaclab')
    .description('From an Isaac Lab run\'s params/env.yaml (observation terms, scales, clip, history, action, default pose, rates).')
    .argument('<config>', 'params/env.yaml of the run')
    .requiredOption('--joints <names>', 'comma-separated joint names in the articulation\'s order (env.scene["robot"].joint_names)', joints)
    .option('--name <name>', 'model name', 'isaaclab-policy')
    .option('--robot <name>', 'robot the policy is for', 'unknown')
    .option('--onnx <file>', 'ONNX file name in the model folder', 'policy.onnx')
    .option('--out <file>', 'write the manifest here (default: stdout)')
    .exitOverride()
    .action((file, o) => emit(manifestFromIsaacLab(readConfig(file), { joints: o.joints, name: o.name, robot: o.robot, onnx: { file: o.onnx, input: 'obs', output: 'actions' } }, basename(file)), o.out));
  cmd
    .command('from-legged-gym')
    .description('From a legged_gym config dumped with class_to_dict (JSON or YAML).')
    .argument('<config>', 'the dumped env config')
    .option('--joints <names>', 'joint names in the asset\'s DOF order (default: the order of default_joint_angles)', joints)
    .option('--name <name>', 'model name', 'legged-gym-policy')
    .option('--robot <name>', 'robot the policy is for', 'unknown')
    .option('--onnx <file>', 'ONNX file name in the model folder', 'policy.onnx')
    .option('--out <file>', 'write the manifest here (default: stdout)')
    .exitOverride()
    .action((file, o) => emit(manifestFromLeggedGym(readConfig(file), { joints: o.joints, name: o.name, robot: o.robot, onnx: { file: o.onnx, input: 'obs', output: 'actions' } }, basename(file)), o.out));
  return cmd;
}

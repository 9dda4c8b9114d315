import { Command } from '@commander-js/extra-typings';
import * as ort from 'onnxruntime-node';
import { createSimRobot, robotNames } from '../../../sim/index.ts';
import { UsageError } from '../../core/errors.ts';
import { loadModelFolder, observationSize, actionSize, termWidth } from '../../model/manifest.ts';
import { ObservationBuilder } from '../../model/ObservationBuilder.ts';
import { ActionMapper } from '../../model/ActionMapper.ts';
import { OnnxPolicy } from '../../policy/OnnxPolicy.ts';
import { assertModelFits } from '../../model/checkModel.ts';
import { existsSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

export function inspectCommand() {
  return new Command('inspect')
    .description('Print a model folder\'s manifest and ONNX inputs/outputs, and check it against a robot.')
    .argument('<model>', 'model folder with manifest.json and model.onnx, or a bare .onnx file')
    .option('--robot <name>', 'check the model against this simulated robot (default: the manifest\'s robot when known)')
    .option('--draft <file>', 'for a bare .onnx file: write a manifest draft here (joint names and terms to fill in)')
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (dir, o) => {
      if (dir.endsWith('.onnx')) return inspectBareOnnx(dir, o.draft, o.json);
      const folder = loadModelFolder(dir);
      const m = folder.manifest;
      const session = await ort.InferenceSession.create(folder.onnxPath);
      const io = (meta: readonly ort.InferenceSession.ValueMetadata[]) =>
        meta.map((v) => (v.isTensor ? { name: v.name, type: v.type, shape: [...v.shape] } : { name: v.name, type: 'non-tensor', shape: [] }));
      const inputs = io(session.inputMetadata);
      const outputs = io(session.outputMetadata);
      await session.release();

      let offset = 0;
      const terms = m.observation.terms.map((t) => {
        const width = termWidth(m, t.term) * (t.history ?? 1);
        const row = { term: t.term, offset, width, scale: t.scale ?? 1, clip: t.clip ?? null, history: t.history ?? 1 };
        offset += width;
        return row;
      });

      const robotName = o.robot ?? (robotNames().includes(m.robot) ? m.robot : undefined);
      if (o.robot !== undefined && !robotNames().includes(o.robot)) throw new UsageError('--robot', `unknown robot "${o.robot}"`, `one of ${robotNames().join(', ')}`);
      let check: { robot: string; ok: true } | undefined;
      if (robotName) {
        const robot = createSimRobot(robotName);
        assertModelFits(m, robot.spec, { robotHz: 1 / robot.physicsDt }, `${dir}/manifest.json`);
        // These constructors refuse a model whose joints, sensors or shapes do not fit the robot.
        new ObservationBuilder(m, robot.spec);
        new ActionMapper(m, robot.spec);
        (await OnnxPolicy.load(folder)).close();
        await robot.close();
        check = { robot: robotName, ok: true };
      }

      const summary = {
        command: 'inspect',
        model: dir,
        name: m.name,
        kind: m.kind,
        trained_for: m.robot,
        control_hz: m.control_hz,
        joints: m.joints,
        observation: { size: observationSize(m), history_order: m.observation.history_order ?? 'oldest_first', terms },
        action: { ...m.action, size: actionSize(m) },
        onnx: { file: m.onnx.file, inputs, outputs },
        provenance: m.provenance ?? null,
        check: check ?? null,
      };
      if (o.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      console.log(`${m.name} (${m.kind}) for ${m.robot}, ${m.control_hz} Hz`);
      console.log(`joints (model order): ${m.joints.join(', ')}`);
      console.log(`observation: ${summary.observation.size} values, history ${summary.observation.history_order}`);
      for (const t of terms) console.log(`  [${t.offset}..${t.offset + t.width - 1}] ${t.term} scale ${JSON.stringify(t.scale)} clip ${t.clip ?? '-'} history ${t.history}`);
      console.log(`action: ${m.action.type} on ${(m.action.joints ?? m.joints).join(', ')}, scale ${JSON.stringify(m.action.scale ?? 1)}, clip ${m.action.clip ?? '-'}`);
      console.log(`onnx ${m.onnx.file}:`);
      for (const v of inputs) console.log(`  input  ${v.name} ${v.type} [${v.shape.join(', ')}]`);
      for (const v of outputs) console.log(`  output ${v.name} ${v.type} [${v.shape.join(', ')}]`);
      if (m.provenance?.eval) console.log(`eval: ${JSON.stringify(m.provenance.eval)}`);
      console.log(check ? `check against ${check.robot}: ok (joint names, sensors, tensor shapes)` : 'no robot to check against (pass --robot)');
    });
}

/** Prints a bare ONNX file's inputs and outputs and, with --draft, writes a manifest to complete. */
async function inspectBareOnnx(file: string, draft: string | undefined, json: boolean): Promise<void> {
  if (!existsSync(file)) throw new UsageError('<model>', `no such file ${file}`, 'a model folder or an .onnx file');
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file);
  } catch (e) {
    throw new UsageError('<model>', `${file} is not a model onnxruntime can load (${(e as Error).message.split('\n')[0]})`, 'an ONNX file');
  }
  const meta = (v: ort.InferenceSession.ValueMetadata) => (v.isTensor ? { name: v.name, type: v.type, shape: [...v.shape] } : { name: v.name, type: 'non-tensor', shape: [] as (number | string)[] });
  const inputs = session.inputMetadata.map(meta);
  const outputs = session.outputMetadata.map(meta);
  await session.release();
  const lastDim = (shape: (number | string)[]) => (typeof shape[shape.length - 1] === 'number' ? (shape[shape.length - 1] as number) : 0);
  const nAct = lastDim(outputs[0]?.shape ?? []);
  const manifestDraft = {
    schema: 'axon.model/1',
    name: basename(file, '.onnx'),
    kind: 'policy',
    robot: 'TODO: robot name',
    joints: Array.from({ length: Math.max(1, nAct) }, (_, i) => `TODO_joint_${i}`),
    control_hz: 50,
    onnx: { file: basename(file), input: inputs[0]?.name ?? 'obs', output: outputs[0]?.name ?? 'action' },
    observation: { terms: [{ term: 'joint_pos_rel' }, { term: 'joint_vel' }], history_order: 'oldest_first' },
    action: { type: 'joint_position', scale: 0.25 },
    provenance: { note: `draft from axon inspect ${file}: input width ${lastDim(inputs[0]?.shape ?? [])}; list the observation terms in the order the model was trained with` },
  };
  if (draft) writeFileSync(draft, JSON.stringify(manifestDraft, null, 2) + '\n');
  if (json) {
    console.log(JSON.stringify({ command: 'inspect', model: file, onnx: { inputs, outputs }, draft: draft ?? null }));
    return;
  }
  console.log(`${file}: a bare ONNX model (no manifest)`);
  for (const v of inputs) console.log(`  input  ${v.name} ${v.type} [${v.shape.join(', ')}]`);
  for (const v of outputs) console.log(`  output ${v.name} ${v.type} [${v.shape.join(', ')}]`);
  console.log(draft ? `wrote a manifest draft to ${draft}: fill in the TODO fields, then put it beside the model as manifest.json` : 'pass --draft manifest.json to write a manifest draft');
}

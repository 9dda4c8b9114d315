/**
 * `axon inspect FILE.onnx [--draft manifest.json]`: a bare ONNX file, no manifest yet. Its inputs
 * and outputs are printed; with --draft a manifest is written: a complete one when the file
 * describes itself in mjlab's metadata_props (src/model/importers/mjlab.ts), with what the file
 * does not say listed; else a draft to fill in (TODO joint names, guessed terms).
 */
import * as ort from 'onnxruntime-node';
import { existsSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { AxonError, UsageError } from '../../core/errors.ts';
import { readOnnxMetadata, type OnnxMetadataEntry } from '../../model/onnxMetadata.ts';
import { isMjlabMetadata, manifestFromMjlab, type MjlabImport } from '../../model/importers/mjlab.ts';
import { recurrentStates } from '../../model/onnxIo.ts';
import { observationSize } from '../../model/manifest.ts';
import { checkOutputFile } from '../preflight.ts';
import { ORT_LOG_SEVERITY } from '../../policy/OnnxPolicy.ts';
import { mjcfRobot } from '../mjcfSession.ts';

type Io = { name: string; type: string; shape: (number | string)[] };

const lastDim = (shape: (number | string)[]) => (typeof shape[shape.length - 1] === 'number' ? (shape[shape.length - 1] as number) : 0);

/**
 * The chunk length of an action output with one axis more than the observation input (`[1, L, n]`
 * after `[1, N]`, `[L, n]` after `[N]`: ACT's or a diffusion policy's action chunk) when L is a number
 * above 1, else undefined: the draft then declares `action.chunk` (docs/byom.md), without which
 * the model is refused as MODEL_SHAPE (src/model/onnxIo.ts refuseUndeclaredChunk).
 */
function chunkLength(input: Io | undefined, output: Io | undefined): number | undefined {
  if (!input || !output || input.shape.length === 0 || output.shape.length !== input.shape.length + 1) return undefined;
  const L = output.shape[output.shape.length - 2];
  return typeof L === 'number' && L > 1 ? L : undefined;
}

/** The generic draft of a file that does not describe itself: TODO joint names, guessed terms, an action chunk when the output is one. */
function genericDraft(file: string, inputs: Io[], outputs: Io[]) {
  const nAct = lastDim(outputs[0]?.shape ?? []);
  const chunk = chunkLength(inputs[0], outputs[0]);
  return {
    schema: 'axon.model/1',
    name: basename(file, '.onnx'),
    kind: 'policy',
    robot: 'TODO: robot name',
    joints: Array.from({ length: Math.max(1, nAct) }, (_, i) => `TODO_joint_${i}`),
    control_hz: 50,
    onnx: { file: basename(file), input: inputs[0]?.name ?? 'obs', output: outputs[0]?.name ?? 'action' },
    observation: { terms: [{ term: 'joint_pos_rel' }, { term: 'joint_vel' }], history_order: 'oldest_first' },
    action: { type: 'joint_position', scale: 0.25, ...(chunk !== undefined ? { chunk: { length: chunk } } : {}) },
    provenance: {
      note:
        `draft from axon inspect ${file}: input width ${lastDim(inputs[0]?.shape ?? [])}; list the observation terms in the order the model was trained with` +
        (chunk !== undefined ? `; output [${outputs[0].shape.join(', ')}] is an action chunk of ${chunk} steps: set action.chunk.execute (steps sent per call) or ensemble_decay as the model was trained` : ''),
    },
  };
}

/**
 * The MJCF's IMU body and root body, where mjlab reads base_ang_vel and projected_gravity: the body
 * of the site its `<gyro>` sensor names (mjlab's base_ang_vel is the gyro imu_ang_vel), else the
 * simulator's imu* site rule (sim/mujoco's imuBody, as `axon sim --mjcf` reads it with no manifest).
 */
async function mjcfFrames(mjcf: string): Promise<NonNullable<Parameters<typeof manifestFromMjlab>[1]['robotFrames']>> {
  const { robot, setup } = await mjcfRobot({ file: mjcf }, undefined, 0.005);
  robot.dispose();
  const ruleBody = setup.imuLink ?? setup.root;
  const file = basename(mjcf);
  if (setup.gyro) return { imuBody: setup.gyro.body, root: setup.root, file, from: { gyro: setup.gyro.sensor, site: setup.gyro.site, ruleBody } };
  return { imuBody: ruleBody, root: setup.root, file, from: { rule: setup.imuWhy } };
}

/** Prints a bare ONNX file's inputs and outputs and, with --draft, writes a manifest (complete from mjlab's metadata, else a draft to complete). */
export async function inspectBareOnnx(file: string, draft: string | undefined, json: boolean, mjcf?: string): Promise<void> {
  if (!existsSync(file)) throw new UsageError('<model>', `no such file ${file}`, 'a model folder or an .onnx file');
  // Before the model is read: a folder, a path under a file or one under /proc names --draft (not a raw EISDIR/ENOENT, exit 1).
  if (draft) checkOutputFile(draft, '--draft', 'a file path for the manifest draft');
  if (mjcf !== undefined && !existsSync(mjcf)) throw new UsageError('--mjcf', `no such file ${mjcf}`, 'an MJCF model file');
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { logSeverityLevel: ORT_LOG_SEVERITY });
  } catch (e) {
    throw new UsageError('<model>', `${file} is not a model onnxruntime can load (${(e as Error).message.split('\n')[0]})`, 'an ONNX file');
  }
  const meta = (v: ort.InferenceSession.ValueMetadata): Io => (v.isTensor ? { name: v.name, type: v.type, shape: [...v.shape] } : { name: v.name, type: 'non-tensor', shape: [] });
  const inputs = session.inputMetadata.map(meta);
  const outputs = session.outputMetadata.map(meta);
  let entries: OnnxMetadataEntry[] = [];
  let mjlab = false;
  let imported: MjlabImport | undefined;
  /** Why the metadata_props could not be read, when only printing: the inputs and outputs still are. */
  let unread: string | undefined;
  try {
    // onnxruntime has read the file, but its protobuf reader takes what axon's does not (a group
    // field): without --draft the metadata is only listed, so that is a note, not a refusal.
    try {
      entries = readOnnxMetadata(file);
    } catch (e) {
      if (draft || !(e instanceof AxonError)) throw e;
      unread = `metadata_props not read: ${e.message}`;
    }
    mjlab = isMjlabMetadata(entries);
    // With a bare ONNX file --mjcf only tells an mjlab draft where the robot's IMU and root are: never silently ignored.
    if (mjcf !== undefined && !(mjlab && draft))
      throw new UsageError('--mjcf', `with a bare ONNX file, reads the robot's IMU and root bodies for a manifest drafted from mjlab's metadata; ${file} ${mjlab ? 'is given no --draft' : "carries no mjlab metadata"}`, mjlab ? '--draft manifest.json as well' : 'a model folder (manifest.json beside the ONNX file) to check against the MJCF');
    if (mjlab && draft) {
      // A tracking export's second input (time_step) is not a recurrent state: its terms are refused first, by name.
      let recurrent: ReturnType<typeof recurrentStates> = [];
      let notRecurrent: unknown;
      try {
        recurrent = recurrentStates(session, file, '<model>');
      } catch (e) {
        notRecurrent = e;
      }
      const width = (io: Io | undefined) => (io && io.shape.length > 0 && typeof io.shape[io.shape.length - 1] === 'number' ? (io.shape[io.shape.length - 1] as number) : undefined);
      imported = manifestFromMjlab(entries, {
        file: basename(file),
        name: basename(file, '.onnx'),
        onnx: { file: basename(file), input: inputs[0].name, output: outputs[0].name },
        ...(width(inputs[0]) !== undefined ? { inputWidth: width(inputs[0]) } : {}),
        ...(width(outputs[0]) !== undefined ? { outputWidth: width(outputs[0]) } : {}),
        recurrent,
        command: `axon inspect ${file} --draft ${draft}${mjcf !== undefined ? ` --mjcf ${mjcf}` : ''}`,
        ...(mjcf !== undefined ? { robotFrames: await mjcfFrames(mjcf) } : {}),
      });
      if (notRecurrent !== undefined) throw notRecurrent;
    }
  } finally {
    await session.release();
  }
  const manifest = imported ? imported.manifest : genericDraft(file, inputs, outputs);
  if (draft) writeFileSync(draft, JSON.stringify(manifest, null, 2) + '\n');
  const metadata = entries.length === 0 ? null : { source: mjlab ? 'mjlab' : 'unknown', keys: entries.map((e) => e.key) };
  if (json) {
    console.log(
      JSON.stringify({
        command: 'inspect',
        model: file,
        onnx: { inputs, outputs },
        metadata,
        draft: draft ?? null,
        ...(imported ? { complete: true, unfilled: imported.unfilled, notes: imported.notes } : {}),
        ...(unread ? { notes: [unread] } : {}),
      }),
    );
    return;
  }
  console.log(`${file}: a bare ONNX model (no manifest)`);
  for (const v of inputs) console.log(`  input  ${v.name} ${v.type} [${v.shape.join(', ')}]`);
  for (const v of outputs) console.log(`  output ${v.name} ${v.type} [${v.shape.join(', ')}]`);
  if (unread) console.log(`note: ${unread}`);
  if (metadata) console.log(`metadata_props (${metadata.keys.length}): ${metadata.keys.join(', ')}${mjlab ? " — mjlab's (joint_names, observation_names)" : ''}`);
  if (imported) {
    const m = imported.manifest;
    console.log(
      `wrote ${draft}: a manifest from the file's mjlab metadata: ${m.joints.length} joints, ${m.observation.terms.length} observation terms (${m.observation.terms.map((t) => t.term).join(', ')}; ${observationSize(m)} values), ${m.pd ? 'pd from joint_stiffness/joint_damping' : 'no pd'}; put it beside the model as manifest.json and check it with axon inspect DIR --urdf|--mjcf`,
    );
    for (const u of imported.unfilled) console.log(`  not in the file: ${u}`);
    for (const n of imported.notes) console.log(`  note: ${n}`);
    return;
  }
  if (mjlab) console.log('pass --draft manifest.json to write a manifest from its mjlab metadata');
  else console.log(draft ? `wrote a manifest draft to ${draft}: fill in the TODO fields, then put it beside the model as manifest.json` : 'pass --draft manifest.json to write a manifest draft');
}

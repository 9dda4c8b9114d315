/**
 * `axon inspect DIR --urdf` on an Isaac Lab import for a G1-like URDF (BOM + CRLF, effort="0"
 * velocity="0" placeholders, dotted joint names, a mimic head joint): the table shows what
 * `axon sim --urdf` applies. R11 F5: it printed the URDF's limits (effort inf on the ankles) while
 * the run clamps with the manifest's actuators (50 / 37). R11 F1: the joints outside the action
 * are held with their group's gains (pd.held). R11 F3: an input exported without a batch dimension
 * ([61]) or with a sequence axis ([1, 1, 61]) fits, with no "(MISMATCH)" next to a size that matches.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { OnnxGraphBuilder } from '../../../models/train/onnx/OnnxGraphBuilder.ts';
import { attr, encodeModel } from '../../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../../models/train/onnx/writeOnnx.ts';
import { inspectCommand } from '../../../src/cli/commands/inspect.ts';
import { manifestCommand } from '../../../src/cli/commands/manifest.ts';
import { HELD_ENV_JOINTS, writeHeldFixture } from '../../helpers/isaaclabHeld.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-inspect-r11-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** The policy.onnx for the import (61 observations, 8 actions), its input in the shape given. */
function writePolicy(file: string, shape: (number | string)[]): void {
  const g = new OnnxGraphBuilder('torch_jit');
  const x = g.input('obs', 'float32', shape);
  if (shape.length === 2) {
    const W = g.initializer('actor.0.weight', 'float32', [8, 61], new Float32Array(8 * 61));
    g.node('Gemm', [x, W], ['actions'], { transB: attr.int(1) });
  } else {
    const W = g.initializer('actor.0.weight', 'float32', [61, 8], new Float32Array(8 * 61));
    g.node('MatMul', [x, W], ['actions']);
  }
  g.output('actions', 'float32', [...shape.slice(0, -1), 8]);
  writeFileSync(file, encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'pytorch', producerVersion: '2.5.0', graph: g.build() }));
}

async function importAndInspect(name: string, shape: (number | string)[]): Promise<string[]> {
  const { env, urdf } = writeHeldFixture(dir);
  const model = join(dir, name);
  mkdirSync(model, { recursive: true });
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await manifestCommand().exitOverride().parseAsync(['from-isaaclab', env, '--joints', HELD_ENV_JOINTS, '--out', join(model, 'manifest.json')], { from: 'user' });
  writePolicy(join(model, 'policy.onnx'), shape);
  log.mockClear();
  await inspectCommand().exitOverride().parseAsync([model, '--urdf', urdf, '--physics-hz', '200'], { from: 'user' });
  return log.mock.calls.map((c) => String(c[0]));
}

describe('axon inspect --urdf on an Isaac Lab import: what the run applies', () => {
  it('limits: the manifest actuators\' where they replace the URDF\'s, with the URDF\'s beside them; held joints\' gains', async () => {
    const lines = await importAndInspect('batch', ['batch', 61]);
    const row = (j: string) => lines.find((l) => l.trimStart().startsWith(`${j}:`)) ?? '';
    // effort="0" velocity="0" in the URDF (read as unlimited): the run clamps with env.yaml's effort_limit_sim / velocity_limit_sim.
    expect(row('left_ankle_pitch_joint')).toContain('effort 50 (manifest; URDF inf) velocity 37 (manifest; URDF inf)');
    expect(row('left.knee-joint')).toContain('effort 88 (manifest; URDF 139) velocity 32 (manifest; URDF 20)');
    // The same in both: no note.
    expect(row('left_ankle_roll_joint')).toContain('effort 50 velocity 37,');
    // Outside the action: the actuator group's gains, not axon's default rule.
    expect(row('waist.yaw')).toContain('kp 200 kd 5 (held, pd.held)');
    expect(row('head_joint')).toContain('kp 10 kd 1 (held, pd.held)');
    expect(lines.at(-1)).toMatch(/: ok \(joint names, limits, gains/);
  });

  it.each([[[61]], [[1, 1, 61]]])('an input %j fits, sizes without "(MISMATCH)"', async (shape) => {
    const lines = await importAndInspect(`rank${shape.length}`, shape);
    const sizes = lines.find((l) => l.includes('sizes:')) ?? '';
    expect(sizes).toContain(`onnx input obs [${shape.join(', ')}];`);
    expect(sizes).not.toContain('MISMATCH');
    expect(lines.join('\n')).not.toContain('difference:');
    expect(lines.at(-1)).toMatch(/: ok \(joint names, limits, gains/);
  });
});

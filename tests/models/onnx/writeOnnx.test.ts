import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Mlp } from '../../../models/train/mlp.ts';
import type { HiddenActivation, OutputActivation } from '../../../models/train/mlp.ts';
import { OnnxGraphBuilder } from '../../../models/train/onnx/OnnxGraphBuilder.ts';
import { OnnxError, attr, encodeModel } from '../../../models/train/onnx/onnxModel.ts';
import { mlpToOnnx, sha256Hex, writeOnnxFile } from '../../../models/train/onnx/writeOnnx.ts';
import { Rng } from '../../../src/core/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Python interpreter that can `import onnx` (Debian python3-onnx), or null. */
function findPythonWithOnnx(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}
const python = findPythonWithOnnx();
if (python === null) console.warn('python3-onnx not installed: skipping the onnx.checker test (apt-get install python3-onnx)');

function makeNet(act: HiddenActivation, outAct: OutputActivation, seed: number, sizes = [6, 16, 12, 3]): Mlp {
  const rng = new Rng(seed);
  const m = new Mlp(sizes, act, outAct, rng);
  for (let k = 0; k < m.numParams; k++) m.params[k] += 0.05 * rng.normal(); // non-zero biases
  return m;
}

describe('mlpToOnnx', () => {
  it.each([
    ['tanh', 'tanh', 1],
    ['tanh', 'identity', 7],
    ['relu', 'identity', 1],
    ['relu', 'tanh', 7],
  ] as const)('(%s, %s) runs in onnxruntime-node and matches Mlp.forward, batch %i', async (act, outAct, batch) => {
    const m = makeNet(act, outAct, 31 + batch);
    const bytes = mlpToOnnx(m, { inputName: 'obs', outputName: 'action', producer: 'axon', docString: 'test policy' });
    const session = await ort.InferenceSession.create(bytes);
    try {
      expect(session.inputNames).toEqual(['obs']);
      expect(session.outputNames).toEqual(['action']);
      const rng = new Rng(99);
      const xs = new Float32Array(batch * m.inDim).map(() => rng.uniform(-3, 3));
      const res = await session.run({ obs: new ort.Tensor('float32', xs, [batch, m.inDim]) });
      const action = res.action;
      expect(action.dims).toEqual([batch, m.outDim]);
      const got = action.data as Float32Array;
      const y = new Float32Array(m.outDim);
      let worst = 0;
      for (let b = 0; b < batch; b++) {
        m.forward(xs.subarray(b * m.inDim, (b + 1) * m.inDim), y);
        for (let o = 0; o < m.outDim; o++) worst = Math.max(worst, Math.abs(got[b * m.outDim + o] - y[o]));
      }
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });

  it('handles a single-layer net (one Gemm, no hidden activation)', async () => {
    const m = makeNet('tanh', 'identity', 5, [3, 2]);
    const session = await ort.InferenceSession.create(mlpToOnnx(m));
    const x = new Float32Array([0.5, -1, 2]);
    const res = await session.run({ obs: new ort.Tensor('float32', x, [1, 3]) });
    const y = new Float32Array(2);
    m.forward(x, y);
    const got = res.action.data as Float32Array;
    expect(Math.abs(got[0] - y[0])).toBeLessThan(1e-5);
    expect(Math.abs(got[1] - y[1])).toBeLessThan(1e-5);
    await session.release();
  });

  it('writes the same bytes on every run (sha256), and different bytes for different weights', async () => {
    const a = mlpToOnnx(makeNet('tanh', 'tanh', 3), { docString: 'd' });
    const b = mlpToOnnx(makeNet('tanh', 'tanh', 3), { docString: 'd' });
    const c = mlpToOnnx(makeNet('tanh', 'tanh', 4), { docString: 'd' });
    const pa = join(dir, 'sub', 'a.onnx');
    const pb = join(dir, 'sub', 'b.onnx');
    const ha = await writeOnnxFile(pa, a);
    const hb = await writeOnnxFile(pb, b);
    expect(ha).toBe(hb);
    expect(sha256Hex(readFileSync(pa))).toBe(ha);
    expect(sha256Hex(readFileSync(pb))).toBe(ha);
    expect(sha256Hex(c)).not.toBe(ha);
    // ModelProto starts with ir_version = 8 (field 1, varint).
    expect(Array.from(a.subarray(0, 2))).toEqual([0x08, 0x08]);
  });

  it.runIf(existsSync('/proc/self'))('a folder that cannot be made (under /proc, where Node 20\'s recursive mkdir loops for ever) is refused as MAKE_DIR naming it', () => {
    const script = "import { writeOnnxFile } from './models/train/onnx/writeOnnx.ts'; writeOnnxFile('/proc/axon-no-such/model.onnx', new Uint8Array(4)).then(() => console.log('written'), (e) => console.log(e.code, e.message));";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    expect(r.status, r.stderr).toBe(0); // was: killed at the timeout, the promise never settled
    expect(r.stdout.trim()).toBe('MAKE_DIR /proc/axon-no-such: cannot be made (ENOENT) (expected a folder that can be made)');
  });

  it('refuses weights holding NaN', () => {
    const m = makeNet('tanh', 'tanh', 3);
    m.params[5] = Number.NaN;
    try {
      mlpToOnnx(m);
      expect.unreachable('mlpToOnnx accepted NaN');
    } catch (e) {
      expect(e).toBeInstanceOf(OnnxError);
      expect((e as OnnxError).code).toBe('BAD_NUMBER');
      expect((e as OnnxError).detail).toMatchObject({ tensor: 'layers.0.weight', index: 5 });
    }
  });

  it.runIf(python !== null)('passes onnx.checker.check_model(full_check=True) and re-serialises to the same bytes', async () => {
    const m = makeNet('relu', 'tanh', 8);
    const path = join(dir, 'checked.onnx');
    await writeOnnxFile(path, mlpToOnnx(m, { docString: 'checker test', metadata: { obs_scale: '1,1,1,1,1,1' } }));
    const script = [
      'import sys, onnx',
      'raw = open(sys.argv[1], "rb").read()',
      'm = onnx.load_from_string(raw)',
      'onnx.checker.check_model(m, full_check=True)',
      'assert m.SerializeToString() == raw, "not canonical"',
      'assert m.ir_version == 8, m.ir_version',
      'assert [(o.domain, o.version) for o in m.opset_import] == [("", 17)]',
      'assert m.producer_name == "axon"',
      'assert [n.op_type for n in m.graph.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Tanh"]',
      'd = m.graph.input[0].type.tensor_type.shape.dim',
      'assert d[0].dim_param == "batch" and d[1].dim_value == 6',
      'print("ok")',
    ].join('\n');
    const r = spawnSync(python as string, ['-c', script, path], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.status).toBe(0);
  });
});

describe('OnnxGraphBuilder', () => {
  it('builds other graphs too (Mul by a constant) that onnxruntime runs', async () => {
    const g = new OnnxGraphBuilder('scale');
    g.input('x', 'float32', ['batch', 2]);
    g.initializer('k', 'float32', [2], new Float32Array([2, -3]));
    g.node('Mul', ['x', 'k'], ['m'], undefined, 'mul');
    g.node('Clip', ['m', '', ''], ['y'], undefined, 'clip');
    g.node('LeakyRelu', ['y'], ['z'], { alpha: attr.float(0.5) }, 'leaky');
    g.output('z', 'float32', ['batch', 2]);
    const bytes = encodeModel({ irVersion: 8, opsetImports: [{ domain: '', version: 17 }], producerName: 'axon', graph: g.build() });
    const s = await ort.InferenceSession.create(bytes);
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, -2, 2]), [2, 2]) });
    expect(Array.from(r.z.data as Float32Array)).toEqual([2, -1.5, -2, -3]);
    await s.release();
  });

  it('reports undefined and duplicate values as typed errors', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof OnnxError ? e.code : 'other';
      }
      return undefined;
    };
    const g = new OnnxGraphBuilder('g');
    g.input('x', 'float32', [1]);
    expect(codeOf(() => g.node('Relu', ['nope'], ['y']))).toBe('UNDEFINED_VALUE');
    expect(codeOf(() => g.input('x', 'float32', [1]))).toBe('DUPLICATE_NAME');
    g.output('never', 'float32', [1]);
    expect(codeOf(() => g.build())).toBe('UNDEFINED_VALUE');
    expect(
      codeOf(() =>
        encodeModel({
          irVersion: 8,
          opsetImports: [{ domain: '', version: 17 }],
          producerName: 'axon',
          graph: { name: 'g', nodes: [], inputs: [], outputs: [], initializers: [{ name: 't', elemType: 'float32', dims: [2, 2], data: new Float32Array(3) }] },
        }),
      ),
    ).toBe('BAD_TENSOR');
  });
});

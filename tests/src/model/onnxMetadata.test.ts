/** metadata_props read from ONNX bytes (src/model/onnxMetadata.ts), without onnxruntime. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxMetadataEntries, readOnnxMetadata } from '../../../src/model/onnxMetadata.ts';
import { AxonError } from '../../../src/core/errors.ts';
import { exportedPolicyOnnx } from '../../helpers/onnxFixtures.ts';
import { go1VelocityMetadata, mjlabEntries } from '../../helpers/mjlabMetadata.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-onnxmeta-'));

/** A Python interpreter that can `import onnx` (Debian python3-onnx), or null. */
const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0) ?? null;
if (python === null) console.warn('python3-onnx not installed: skipping the test that has Python write metadata_props as mjlab does');

/**
 * The Go1 velocity metadata computed and formatted by Python and appended with the onnx package, as
 * mjlab's get_base_metadata and attach_metadata_to_onnx do (floats from go1_constants.py's
 * formulas, "{:.3f}" per number, str() for a nested list and for a scalar, True for flatten).
 */
const PY_ATTACH = String.raw`
import sys, onnx
W = 10 * 2.0 * 3.1415926535
hip, knee = 0.000111842 * 6 ** 2, 0.000111842 * 9 ** 2
joints = [f"{leg}_{j}_joint" for leg in ("FR", "FL", "RR", "RL") for j in ("hip", "thigh", "calf")]
per = lambda h, k: [k if j.endswith("calf_joint") else h for j in joints]
pos = [0.9 if j.endswith("thigh_joint") else -1.8 if j.endswith("calf_joint") else (0.1 if j[:2] in ("FR", "RR") else -0.1) for j in joints]
terms = ["base_lin_vel", "base_ang_vel", "projected_gravity", "joint_pos", "joint_vel", "actions", "command"]
meta = {
  "run_path": "local",
  "joint_names": joints,
  "joint_stiffness": per(hip * W ** 2, knee * W ** 2),
  "joint_damping": per(4 * hip * W, 4 * knee * W),
  "default_joint_pos": pos,
  "command_names": ["twist"],
  "observation_names": terms,
  "observation_terms_scale": [1.0] * 7,
  "observation_terms_flatten_history_dim": [True] * 7,
  "observation_terms_history_length": [0] * 7,
  "observation_terms_clip": [[float("-inf"), float("inf")]] * 7,
  "action_scale": per(0.25 * 23.7 / (hip * W ** 2), 0.25 * 35.55 / (knee * W ** 2)),
}
csv = lambda arr: ",".join("{:.3f}".format(x) if isinstance(x, (int, float)) else str(x) for x in arr)
m = onnx.load(sys.argv[1])
for k, v in meta.items():
  e = onnx.StringStringEntryProto()
  e.key = k
  e.value = csv(v) if isinstance(v, list) else str(v)
  m.metadata_props.append(e)
onnx.save(m, sys.argv[1])
print("ok")
`;

describe('ONNX metadata_props', () => {
  it('come back in file order, a repeated key twice, UTF-8 intact, after a graph with weights', () => {
    const entries = [...mjlabEntries(go1VelocityMetadata()), { key: 'run_path', value: 'entité/run-ä' }, { key: 'empty', value: '' }];
    const file = join(dir, 'policy.onnx');
    exportedPolicyOnnx(file, { inDim: 48, outDim: 12, w: new Float32Array(48 * 12).fill(0.5) }, entries);
    expect(readOnnxMetadata(file)).toEqual(entries);
  });

  it.skipIf(python === null)('written by Python\'s onnx package as mjlab\'s exporter formats them: read back equal to the test fixture\'s entries', () => {
    const file = join(dir, 'py.onnx');
    exportedPolicyOnnx(file, { inDim: 48, outDim: 12 });
    const r = spawnSync(python as string, ['-c', PY_ATTACH, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(readOnnxMetadata(file)).toEqual(mjlabEntries(go1VelocityMetadata()));
  });

  it('a file without any reads as none', () => {
    const file = join(dir, 'bare.onnx');
    exportedPolicyOnnx(file, { inDim: 4, outDim: 2 });
    expect(readOnnxMetadata(file)).toEqual([]);
  });

  it('a truncated file is ONNX_READ naming the file and the byte', () => {
    const file = join(dir, 'cut.onnx');
    exportedPolicyOnnx(file, { inDim: 4, outDim: 2 }, [{ key: 'joint_names', value: 'a,b' }]);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    try {
      onnxMetadataEntries(readFileSync(file), file);
      throw new Error('expected ONNX_READ');
    } catch (e) {
      expect(e).toBeInstanceOf(AxonError);
      expect((e as AxonError).code).toBe('ONNX_READ');
      expect((e as AxonError).where).toContain('cut.onnx');
      expect((e as AxonError).message).toMatch(/ends inside a field at byte \d+/);
    }
  });
});

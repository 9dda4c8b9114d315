import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeVendorDeploy, writeVendorOnnx, writeVendorUrdf } from '../helpers/vendorDeploy.ts';
import { writeExternalDataPolicy } from '../helpers/onnxExternalData.ts';
import { axon } from '../helpers/cli.ts';
import { onnxExternalDataRefs } from '../../src/model/onnxExternalData.ts';

/** A unitree_rl_lab run folder whose policy.onnx keeps its weights in external data (torch.onnx.export, dynamo). */
function run(o: { location?: string; writeData?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'axon-extdata-'));
  const d = writeVendorDeploy(join(dir, 'params'));
  const exported = join(dir, 'exported');
  mkdirSync(exported);
  if (o.location?.includes('/') && !o.location.startsWith('..')) mkdirSync(join(exported, o.location.split('/')[0]), { recursive: true });
  const onnx = writeExternalDataPolicy(exported, { inDim: 480, outDim: 29, ...o });
  const urdf = writeVendorUrdf(join(dir, 'g1_29dof.urdf'));
  return { dir, deploy: d.path, onnx, exported, urdf, out: join(dir, 'model') };
}

describe('manifest from-deploy with an ONNX file whose tensors are in external data', () => {
  it('copies policy.onnx.data beside the copied policy.onnx; the folder it wrote inspects', () => {
    const r = run();
    const m = axon('manifest', 'from-deploy', r.deploy, '--onnx', r.onnx, '--out', r.out, '--urdf', r.urdf);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain(`with its external data ${join(r.out, 'policy.onnx.data')}`);
    expect(readFileSync(join(r.out, 'policy.onnx.data'))).toEqual(readFileSync(join(r.exported, 'policy.onnx.data')));
    const i = axon('inspect', r.out, '--urdf', r.urdf);
    expect(i.stderr).not.toContain('ONNX_LOAD');
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toContain('input  obs float32 [1, 480]');
  });

  it('keeps a location in a subfolder at the same place relative to the copy', () => {
    const r = run({ location: 'weights/actor.bin' });
    const m = axon('manifest', 'from-deploy', r.deploy, '--onnx', r.onnx, '--out', r.out, '--urdf', r.urdf);
    expect(m.code, m.stderr).toBe(0);
    expect(existsSync(join(r.out, 'weights', 'actor.bin'))).toBe(true);
    const i = axon('inspect', r.out, '--urdf', r.urdf);
    expect(i.code, i.stderr).toBe(0);
  });

  it('refuses, before writing anything, an ONNX file whose external-data file is missing, naming the file and the .onnx', () => {
    const r = run({ writeData: false });
    const m = axon('manifest', 'from-deploy', r.deploy, '--onnx', r.onnx, '--out', r.out, '--urdf', r.urdf);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('[ONNX_EXTERNAL_DATA]');
    expect(m.stderr).toContain(`${join(r.exported, 'policy.onnx.data')}: is missing: policy.onnx keeps tensors "W", "B" in it`);
    expect(m.stderr).toContain(r.onnx);
    expect(m.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(r.out, 'manifest.json'))).toBe(false);
  });

  it('refuses a location that leaves the .onnx file\'s folder (../, absolute)', () => {
    for (const location of ['../policy.onnx.data', '/tmp/policy.onnx.data']) {
      const r = run({ location, writeData: false });
      const m = axon('manifest', 'from-deploy', r.deploy, '--onnx', r.onnx, '--out', r.out, '--urdf', r.urdf);
      expect(m.code, location).toBe(2);
      expect(m.stderr).toContain('[ONNX_EXTERNAL_DATA]');
      expect(m.stderr).toContain(`external data at "${location}", outside the .onnx file's folder`);
      expect(existsSync(join(r.out, 'manifest.json'))).toBe(false);
    }
  });

  it('reads no external data from a file that embeds its tensors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-extdata-'));
    const onnx = writeVendorOnnx(join(dir, 'policy.onnx'));
    expect(onnxExternalDataRefs(readFileSync(onnx), onnx)).toEqual([]);
    const ext = writeExternalDataPolicy(dir, { inDim: 4, outDim: 2, file: 'ext.onnx' });
    expect(onnxExternalDataRefs(readFileSync(ext), ext)).toEqual([{ location: 'ext.onnx.data', tensors: ['W', 'B'] }]);
  });
});

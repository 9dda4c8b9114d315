/**
 * A unitreerobotics/unitree_rl_mjlab Go2 policy as a user has it: the policy.onnx its runner exported
 * (mjlab's metadata_props attached, `phase` among the terms) and the deploy.yaml its C++ controller
 * reads (tests/fixtures/unitree-rl-mjlab/go2-phase-deploy.yaml). `inspect --draft` cannot write the
 * gait clock's period, which only the deploy.yaml holds, and says so; `manifest from-deploy` writes
 * it as that controller computes it, and `sim` runs the result on the Go2 URDF (FL, FR, RL, RR).
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axon } from '../helpers/cli.ts';
import { exportedPolicyOnnx } from '../helpers/onnxFixtures.ts';
import { mjlabEntries } from '../helpers/mjlabMetadata.ts';
import { GO2_MJCF_JOINTS, GO2_SDK_JOINTS, unitreeGo2Metadata } from '../helpers/unitreeMjlab.ts';
import { vendorQuadrupedUrdf } from '../helpers/vendorQuadruped.ts';

const root = mkdtempSync(join(tmpdir(), 'axon-rlmjlab-'));
const deployYaml = 'tests/fixtures/unitree-rl-mjlab/go2-phase-deploy.yaml';

describe('a unitree_rl_mjlab Go2 export with its deploy.yaml', () => {
  it('inspect --draft names the phase term; from-deploy writes its gate and start from the ONNX metadata; sim runs it', () => {
    const exported = join(root, 'exported');
    mkdirSync(exported);
    const onnx = join(exported, 'policy.onnx');
    exportedPolicyOnnx(onnx, { inDim: 47, outDim: 12 }, mjlabEntries(unitreeGo2Metadata(true)));

    const draft = axon('inspect', onnx, '--draft', join(exported, 'manifest.json'));
    expect(draft.code).toBe(2);
    expect(draft.stderr).toContain('[ONNX_METADATA_TERM]: policy.onnx metadata_props["observation_names"][3]: is "phase", unitree_rl_mjlab\'s gait clock');

    const out = join(root, 'go2-walk');
    const r = axon('manifest', 'from-deploy', deployYaml, '--onnx', onnx, '--out', out, '--sdk-joints', GO2_SDK_JOINTS.join(','));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("observations.gait_phase: zero while ‖command‖ < 0.1 (stand_below 0.1), as unitree_rl_mjlab's controller and its training's phase term have it (policy.onnx carries mjlab's metadata_props)");
    expect(r.stdout).not.toContain('warning:'); // the file and the training agree
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m.joints).toEqual(GO2_MJCF_JOINTS);
    expect(m.observation.terms[3]).toEqual({ term: 'gait_phase', scale: 1, period: 0.6, count_from: 2, stand_below: 0.1 });

    const urdf = join(root, 'go2_description.urdf');
    writeFileSync(urdf, vendorQuadrupedUrdf());
    const run = axon('sim', '--urdf', urdf, '--policy', out, '--command', '0.5,0,0', '--duration', '1', '--fast', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.lastLine)).toMatchObject({ ticks: 50, policy: out, robot_setup: { gains: 'manifest' } });
  });
});

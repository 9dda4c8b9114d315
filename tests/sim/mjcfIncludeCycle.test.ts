import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { mjcfDigest } from '../../sim/mujoco/mjcfDigest.ts';
import { buildRefusal } from '../helpers/errors.ts';

/**
 * Review R24 F7: an include cycle through another spelling of a path (sub/c.xml including
 * ../model/sub/c.xml, itself) ran MuJoCo into a WebAssembly trap ("memory access out of bounds"),
 * reported as a compile refusal with no cause. It is refused as MJCF_INCLUDE, naming the files.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-cycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'model');
mkdirSync(join(model, 'sub'), { recursive: true });
writeFileSync(
  join(model, 'robot.xml'),
  `<mujoco model="loop">
  <include file="sub/c.xml"/>
  <worldbody><body name="b" pos="0 0 1"><geom type="box" size=".1 .1 .1"/><body name="c"><joint name="j" axis="0 1 0"/><geom type="sphere" size=".05" pos=".2 0 0"/></body></body></worldbody>
</mujoco>
`,
);
writeFileSync(join(model, 'sub', 'c.xml'), '<mujoco>\r\n  <include file="../model/sub/c.xml"/>\r\n</mujoco>\r\n');
const cFile = join(model, 'sub', 'c.xml');

describe('an include cycle through another spelling of the path (R24 F7)', () => {
  it('is refused as MJCF_INCLUDE naming the include, the file met again and the chain', async () => {
    const e = await buildRefusal(() => createMujocoMjcfRobot(join(model, 'robot.xml'), { physicsDt: 0.002 }));
    expect(e).toBeInstanceOf(AxonError);
    expect(e.code).toBe('MJCF_INCLUDE');
    expect(e.where).toBe(`${cFile} <include file="../model/sub/c.xml">`);
    expect(e.detail).toBe(`is an include cycle: it names ${cFile}, which is already being included (${cFile} → ${cFile})`);
  });

  it('a file included twice, not inside itself, is no cycle (the digest covers it once)', () => {
    const d = join(dir, 'twice');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'm.xml'), '<mujoco><include file="a.xml"/><include file="b.xml"/></mujoco>');
    writeFileSync(join(d, 'a.xml'), '<mujoco><include file="shared.xml"/></mujoco>');
    writeFileSync(join(d, 'b.xml'), '<mujoco><include file="./shared.xml"/></mujoco>');
    writeFileSync(join(d, 'shared.xml'), '<mujoco/>');
    expect(mjcfDigest(join(d, 'm.xml')).files.map((f) => f.name)).toEqual(['m.xml', 'a.xml', 'shared.xml', 'b.xml']);
  });
});

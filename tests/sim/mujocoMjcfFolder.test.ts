import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { loadMujocoModule } from '../../sim/mujoco/loadMujoco.ts';
import { addMjcfFiles, whyMissing } from '../../sim/mujoco/mjcfFolder.ts';
import type { UrdfNote } from '../../sim/urdf/parseUrdf.ts';
import { greyPng, writeArm, writeClimbingMeshdir, writeSharedSceneArm } from '../helpers/mjcfLayouts.ts';
import { buildRefusal } from '../helpers/errors.ts';

/**
 * What of an MJCF's files goes into MuJoCo's virtual file system (sim/mujoco/mjcfFolder.ts): the
 * model's folder, and outside it only what the model names, followed through its includes, as
 * MuJoCo resolves them; a file MuJoCo cannot open is named with why it was not there; the model and
 * its includes are MJCF whatever their extension, and their bytes change only where sensornoise is
 * taken out. Layouts: tests/helpers/mjcfLayouts.ts. docs/mujoco.md, "--mjcf FILE".
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-folder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(file: string): Promise<AxonError> {
  return buildRefusal(() => createMujocoMjcfRobot(file, { physicsDt: 0.002 }));
}

/** addMjcfFiles into a fresh virtual file system: the names it gave and the notes. */
async function filesOf(file: string, maxBytes?: number) {
  const mj = await loadMujocoModule();
  const vfs = new mj.MjVFS();
  const notes: UrdfNote[] = [];
  try {
    const files = addMjcfFiles(vfs, file, notes, maxBytes === undefined ? {} : { maxBytes });
    return { ...files, notes };
  } finally {
    vfs.delete();
  }
}

describe('files outside the model\'s folder: what the model names, through its includes', () => {
  it('an included scene outside the folder that includes a part naming ../textures/t.png: the texture goes in (it was "no such file" while it existed)', async () => {
    const { file } = writeSharedSceneArm(join(dir, 'shared-scene'));
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.model.ntex).toBe(1);
      expect((r.model.tex_width as Int32Array)[0]).toBe(4);
      expect(r.model.nmesh).toBe(1);
      expect(r.spec.joints.map((j) => j.name)).toEqual(['hinge']);
    } finally {
      r.dispose();
    }
    const f = await filesOf(file);
    expect([...f.names].sort()).toEqual(['model.xml', '../common/scene.xml', '../common/parts/floor.xml', '../textures/t.png', '../meshes/knob.stl'].sort());
    // A t.png from the included file's folder too (robot/common/parts/../textures): both go in, and
    // MuJoCo takes the one from the model's folder (4 × 4, not 2 × 2).
    const both = writeSharedSceneArm(join(dir, 'shared-scene-both'));
    const near = join(dirname(dirname(both.texture)), 'common', 'textures', 't.png');
    mkdirSync(dirname(near));
    writeFileSync(near, greyPng(2, 2));
    expect((await filesOf(both.file)).names).toEqual(expect.arrayContaining(['../textures/t.png', '../common/textures/t.png']));
    const r2 = await createMujocoMjcfRobot(both.file, { physicsDt: 0.002 });
    try {
      expect((r2.model.tex_width as Int32Array)[0]).toBe(4);
    } finally {
      r2.dispose();
    }
  });

  it('a file MuJoCo cannot open says why: no such file, a folder, or on disk but named nowhere axon looks', async () => {
    const gone = writeSharedSceneArm(join(dir, 'texture-gone'));
    rmSync(gone.texture);
    // MuJoCo names the last path it tried: the included file's folder's (robot/common/parts/../textures).
    const tried = join(dirname(dirname(gone.texture)), 'common', 'textures', 't.png');
    expect((await refusal(gone.file)).message).toContain(`Error opening file '../common/textures/t.png' (${tried}: no such file)`);
    // A texture file that is a folder (an unpacked archive named as the file was).
    const folder = writeSharedSceneArm(join(dir, 'texture-folder'));
    mkdirSync(join(dirname(folder.texture), 'floor.png'));
    const model = join(dirname(folder.file), 'folder.xml');
    writeFileSync(model, `<mujoco>\n  <asset>\n    <texture name="t" type="2d" file="../textures/floor.png"/>\n  </asset>\n  <worldbody>\n    <body name="arm">\n      <joint name="hinge"/>\n      <geom size="0.1"/>\n    </body>\n  </worldbody>\n</mujoco>\n`);
    const e = await refusal(model);
    expect(e.code).toBe('MUJOCO_COMPILE');
    expect(e.message).toContain(`Error opening file '../textures/floor.png' (${join(dirname(folder.texture), 'floor.png')}: a folder, not a file)`);
    // On disk, but nothing axon reads names it there (as the texture an included file outside the folder named was).
    expect(whyMissing('../textures/t.png', folder.file, { unreadable: new Map() })).toBe(
      `${folder.texture}: on disk, but not among the files axon gave MuJoCo (no <include> or asset file attribute axon read names it there)`,
    );
    expect(whyMissing('../textures/t.png', folder.file, { unreadable: new Map([[folder.texture, 'EACCES: permission denied']]) })).toBe(`${folder.texture}: on disk but cannot be read (EACCES: permission denied)`);
  });

  it('meshdir="../../" takes the mesh the model names, not the repository around it (another robot\'s folder, a broken link there, .git)', async () => {
    const { file, mesh } = writeClimbingMeshdir(join(dir, 'climbing'));
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.model.nmesh).toBe(1);
    } finally {
      r.dispose();
    }
    const f = await filesOf(file);
    expect(f.names).toEqual(['bot.xml', '../../assets/bot/base.stl']);
    expect(f.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_UNREADABLE');
    expect(mesh.endsWith(join('assets', 'bot', 'base.stl'))).toBe(true);
  });

  it('past the byte limit, the refusal names what went past: the model\'s folder, or the file outside it', async () => {
    const { file, mesh } = writeClimbingMeshdir(join(dir, 'limit'));
    // bot.xml is 351 bytes, base.stl 684.
    const outside = await filesOf(file, 800).then(
      () => undefined,
      (e: unknown) => e as AxonError,
    );
    expect(outside?.code).toBe('MUJOCO_MJCF_FOLDER');
    expect(outside?.where).toBe(mesh);
    expect(outside?.message).toContain(`a file the model ${file} names outside its folder, brings the model's files past 0.0008 MB`);
    const own = await filesOf(file, 100).then(
      () => undefined,
      (e: unknown) => e as AxonError,
    );
    expect(own?.code).toBe('MUJOCO_MJCF_FOLDER');
    expect(own?.where).toBe(dirname(file));
    expect(own?.message).toContain('holds more than 0.0001 MB of files');
  });

  it('a broken link in the model\'s own folder is skipped and noted, not a raw ENOENT', async () => {
    const { file } = writeClimbingMeshdir(join(dir, 'own-link'));
    const link = join(dirname(file), 'old_mesh.stl');
    symlinkSync(join(dirname(file), 'nowhere.stl'), link);
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_UNREADABLE')?.message).toBe(
        `1 path(s) under the model's folder or named by the model could not be read, and are not given to MuJoCo: ${link} (a broken link)`,
      );
    } finally {
      r.dispose();
    }
  });
});

describe('the model and its includes are MJCF whatever their extension; bytes change only where sensornoise goes', () => {
  it('a model saved as arm.mjcf with <flag sensornoise>: taken out and noted, as for a .xml', async () => {
    const a = writeArm(join(dir, 'mjcf-ext'), 'arm.mjcf');
    const r = await createMujocoMjcfRobot(a.file, { physicsDt: 0.002 });
    try {
      expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_SENSORNOISE')).toMatchObject({ where: a.file, message: expect.stringMatching(new RegExp(`^<flag sensornoise> on line ${a.flagLine} taken out`)) });
    } finally {
      r.dispose();
    }
  });

  it('the model file\'s bytes as read from disk are kept (mjcfDigest: what a served MJCF\'s sha256 is of), not the ones sensornoise was taken out of', async () => {
    const a = writeArm(join(dir, 'mjcf-source'), 'arm.mjcf');
    const disk = readFileSync(a.file);
    const f = await filesOf(a.file);
    expect(Buffer.from(f.source).equals(disk)).toBe(true);
    expect(Buffer.from(f.main).equals(disk)).toBe(false);
    const r = await createMujocoMjcfRobot(a.file, { physicsDt: 0.002 });
    try {
      expect(Buffer.from(r.mjcfDigest.files[0].data).equals(disk)).toBe(true);
    } finally {
      r.dispose();
    }
  });

  it('an included options.inc with <flag sensornoise>: taken out and noted by its name', async () => {
    const a = writeArm(join(dir, 'inc-ext'), 'arm.mjcf', { noise: 'include' });
    const r = await createMujocoMjcfRobot(a.file, { physicsDt: 0.002 });
    try {
      expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_SENSORNOISE')).toMatchObject({ where: 'options.inc', message: expect.stringMatching(new RegExp(`^<flag sensornoise> on line ${a.flagLine} taken out`)) });
    } finally {
      r.dispose();
    }
  });

  it('a Latin-1 byte in a name reaches MuJoCo as that byte, with or without sensornoise taken out (it was re-encoded as U+FFFD, 3 bytes)', async () => {
    const nnames = async (file: string) => {
      const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
      const n = r.model.nnames;
      r.dispose();
      return n;
    };
    // "knob°" in Latin-1 is 5 bytes, as "knobX" is.
    const latin1 = Buffer.from([0x6b, 0x6e, 0x6f, 0x62, 0xb0]);
    const ascii = await nnames(writeArm(join(dir, 'ascii'), 'arm.xml', { noise: 'none', geomName: Buffer.from('knobX') }).file);
    expect(await nnames(writeArm(join(dir, 'latin1'), 'arm.xml', { noise: 'none', geomName: latin1 }).file)).toBe(ascii);
    expect(await nnames(writeArm(join(dir, 'latin1-noise'), 'arm.xml', { noise: 'model', geomName: latin1 }).file)).toBe(ascii);
  });
});

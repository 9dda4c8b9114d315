/**
 * MJCF models laid out as robot repositories lay them out, for the virtual file system's tests
 * (sim/mujoco/mjcfFolder.ts): a one-joint arm whose scene is included from a folder beside the
 * model's, which includes a part that names a texture in a third folder (paths in included files
 * are the model's folder's, as MuJoCo resolves them); a model whose meshdir climbs to the
 * repository's root beside other robots' folders and a broken link; a model saved as `.mjcf`.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { binaryStl, boxTris } from './meshHumanoid.ts';

/** An RGB PNG of w × h grey pixels (one IDAT, filter 0), as an image editor writes one. */
export function greyPng(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = Buffer.alloc(h * (1 + 3 * w), 0x80);
  for (let y = 0; y < h; y++) rows[y * (1 + 3 * w)] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

const write = (p: string, data: string | Buffer) => {
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
};

/** The arm's body: fixed base, one named hinge, a capsule wearing `material`. */
const arm = (material?: string, geomName = 'link') =>
  `<worldbody>\n    <body name="arm" pos="0 0 1">\n      <joint name="hinge" axis="0 1 0" range="-1 1"/>\n      <geom name="${geomName}" type="capsule" fromto="0 0 0 0 0 -0.5" size="0.05"${material ? ` material="${material}"` : ''}/>\n    </body>\n  </worldbody>`;

/**
 * dir/robot/mjcf/model.xml includes ../common/scene.xml, which includes ../common/parts/floor.xml
 * (paths from the model's folder), which names `<texture file="../textures/t.png">` and a mesh
 * under the model's `<compiler meshdir="../meshes/">`. Returns the model file and the texture.
 */
export function writeSharedSceneArm(dir: string, o: { readonly texture?: string } = {}): { file: string; texture: string } {
  const root = join(dir, 'robot');
  write(join(root, 'textures', 't.png'), greyPng(4, 4));
  write(join(root, 'meshes', 'knob.stl'), binaryStl(boxTris(0.02, 0.02, 0.02), 'knob'));
  write(join(root, 'common', 'scene.xml'), `<mujoco>\n  <include file="../common/parts/floor.xml"/>\n  <worldbody>\n    <geom name="floor" type="plane" size="1 1 0.1" material="floor_mat"/>\n  </worldbody>\n</mujoco>\n`);
  write(
    join(root, 'common', 'parts', 'floor.xml'),
    `<mujoco>\n  <asset>\n    <texture name="floor_tex" type="2d" file="${o.texture ?? '../textures/t.png'}"/>\n    <material name="floor_mat" texture="floor_tex"/>\n    <mesh name="knob" file="knob.stl"/>\n  </asset>\n</mujoco>\n`,
  );
  const file = join(root, 'mjcf', 'model.xml');
  write(file, `<mujoco model="arm">\n  <compiler angle="radian" meshdir="../meshes/"/>\n  <include file="../common/scene.xml"/>\n  ${arm('floor_mat')}\n</mujoco>\n`);
  return { file, texture: join(root, 'textures', 't.png') };
}

/**
 * A repository whose robot dir/repo/robots/bot/bot.xml names its mesh from the repository's root
 * (`meshdir="../../"`, file="assets/bot/base.stl"), beside another robot's folder holding a
 * `big.bin` of `otherBytes` and a link to nothing (`dangling`), and a `.git` folder.
 */
export function writeClimbingMeshdir(dir: string, otherBytes = 4096): { file: string; mesh: string; repo: string } {
  const repo = join(dir, 'repo');
  const mesh = join(repo, 'assets', 'bot', 'base.stl');
  write(mesh, binaryStl(boxTris(0.05, 0.05, 0.05), 'base'));
  write(join(repo, 'robots', 'other', 'big.bin'), Buffer.alloc(otherBytes, 1));
  symlinkSync(join(repo, 'robots', 'other', 'gone.stl'), join(repo, 'robots', 'other', 'dangling'));
  write(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  const file = join(repo, 'robots', 'bot', 'bot.xml');
  write(
    file,
    `<mujoco model="bot">\n  <compiler angle="radian" meshdir="../../"/>\n  <asset>\n    <mesh name="base" file="assets/bot/base.stl"/>\n  </asset>\n  <worldbody>\n    <body name="arm" pos="0 0 1">\n      <joint name="hinge" axis="0 1 0" range="-1 1"/>\n      <geom type="mesh" mesh="base"/>\n    </body>\n  </worldbody>\n</mujoco>\n`,
  );
  return { file, mesh, repo };
}

/**
 * The arm as `dir/NAME` (any extension), its `<option>` carrying MuJoCo 2.3's
 * `<flag sensornoise>` in the model or in an included `options.inc`, its geom named with the bytes
 * `geomName` (a Latin-1 0xB0 is not UTF-8). Returns the model file and the flag's line.
 */
export function writeArm(dir: string, name: string, o: { readonly noise?: 'model' | 'include' | 'none'; readonly geomName?: Buffer } = {}): { file: string; flagLine: number } {
  const flag = '<option timestep="0.002">\n    <flag sensornoise="enable" energy="enable"/>\n  </option>';
  const noise = o.noise ?? 'model';
  if (noise === 'include') write(join(dir, 'options.inc'), `<mujoco>\n  ${flag}\n</mujoco>\n`);
  const head = `<mujoco model="arm">\n  ${noise === 'model' ? flag : noise === 'include' ? '<include file="options.inc"/>' : '<option timestep="0.002"/>'}\n  `;
  const [before, after] = arm(undefined, '\u0000').split('\u0000');
  const file = join(dir, name);
  write(file, Buffer.concat([Buffer.from(head + before, 'utf8'), o.geomName ?? Buffer.from('link'), Buffer.from(after + '\n</mujoco>\n', 'utf8')]));
  return { file, flagLine: 3 };
}

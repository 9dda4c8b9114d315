// axon viewer page: draws the robot from its URDF visuals (z-up), moves the links from binary state
// frames, shows loop stats, joint traces, safety state and events, and sends operator commands.
// The binary frame layout is documented in src/viewer/frames.ts (kept in step with decodeFrame).
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { STLLoader } from 'three/addons/loaders/STLLoader.js';
import { OBJLoader } from 'three/addons/loaders/OBJLoader.js';
import { ColladaLoader } from 'three/addons/loaders/ColladaLoader.js';

const SAFETY = ['running', 'degraded', 'safe-stop', 'e-stopped'];
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token') ?? '';

/** Decodes a state frame (see frames.ts). */
export function decodeFrame(buf) {
  const v = new DataView(buf);
  if (v.getUint8(0) !== 1 || v.getUint8(1) !== 1) throw new Error(`unknown frame kind/version ${v.getUint8(0)}/${v.getUint8(1)}`);
  const nLinks = v.getUint16(16, true), nJoints = v.getUint16(18, true);
  const links = new Float32Array(7 * nLinks), joints = new Float32Array(4 * nJoints);
  let o = 20;
  for (let i = 0; i < links.length; i++, o += 4) links[i] = v.getFloat32(o, true);
  for (let i = 0; i < joints.length; i++, o += 4) joints[i] = v.getFloat32(o, true);
  return { safetyState: SAFETY[v.getUint8(2)], flags: v.getUint8(3), seq: v.getUint32(4, true), time: v.getFloat64(8, true), links, joints };
}

// ---- scene ----------------------------------------------------------------------------------
const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio);
$('view').appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x1b1e23);
const camera = new THREE.PerspectiveCamera(50, 1, 0.01, 100);
camera.up.set(0, 0, 1);
camera.position.set(1.6, -2.6, 1.3);
const controls = new OrbitControls(camera, renderer.domElement);
controls.target.set(0, 0, 0.45);
controls.update();
scene.add(new THREE.HemisphereLight(0xffffff, 0x404050, 2.2));
const sun = new THREE.DirectionalLight(0xffffff, 1.6);
sun.position.set(2, -3, 5);
scene.add(sun);
const grid = new THREE.GridHelper(10, 40, 0x556070, 0x333a44);
grid.rotation.x = Math.PI / 2; // XZ plane -> XY plane (z up)
scene.add(grid);
const ground = new THREE.Mesh(new THREE.PlaneGeometry(10, 10), new THREE.MeshStandardMaterial({ color: 0x262b33 }));
ground.position.z = -0.001;
scene.add(ground);
scene.add(new THREE.AxesHelper(0.3));

function resize() {
  const w = window.innerWidth, h = window.innerHeight;
  renderer.setSize(w, h);
  camera.aspect = w / h;
  camera.updateProjectionMatrix();
}
window.addEventListener('resize', resize);
resize();

// ---- meshes: fetched once per URL from the server's /mesh/<n>/<file> routes ----------------------
const meshes = { requested: 0, loaded: 0, failed: 0, vertices: 0, errors: [] };
const meshCache = new Map(); // url -> Promise<Object3D | BufferGeometry>
function loadMeshAsset(url) {
  let p = meshCache.get(url);
  if (p) return p;
  const ext = url.split('.').pop().toLowerCase();
  p = new Promise((resolve, reject) => {
    if (ext === 'stl') new STLLoader().load(url, resolve, undefined, reject);
    else if (ext === 'obj') new OBJLoader().load(url, resolve, undefined, reject);
    else if (ext === 'dae')
      new ColladaLoader().load(url, (c) => {
        // URDF meshes are read in their own (z-up) frame: undo the loader's Z_UP -> Y_UP turn; keep <unit> scaling.
        c.scene.rotation.set(0, 0, 0);
        c.scene.updateMatrix();
        resolve(c.scene);
      }, undefined, reject);
    else reject(new Error(`unknown mesh format .${ext}`));
  });
  meshCache.set(url, p);
  return p;
}
function countVertices(o) {
  let n = 0;
  o.traverse((c) => { if (c.isMesh && c.geometry?.attributes?.position) n += c.geometry.attributes.position.count; });
  return n;
}
/** Puts the mesh behind `url` into `holder` (scale set by the caller), colouring it when the URDF names a colour. */
function attachMesh(holder, url, color, material) {
  meshes.requested++;
  loadMeshAsset(url).then(
    (asset) => {
      let obj;
      if (asset.isBufferGeometry) {
        if (!asset.attributes.normal) asset.computeVertexNormals();
        obj = new THREE.Mesh(asset, material);
      } else {
        obj = asset.clone(true);
        if (color) obj.traverse((c) => { if (c.isMesh) c.material = material; });
      }
      holder.add(obj);
      meshes.loaded++;
      meshes.vertices += countVertices(obj);
    },
    (err) => {
      meshes.failed++;
      meshes.errors.push(`${url}: ${err?.message ?? err}`);
      holder.add(new THREE.Mesh(new THREE.BoxGeometry(0.05, 0.05, 0.05), material)); // placeholder
    },
  );
}

/** Builds one Object3D per link from the URDF visuals. */
let linkObjects = [];
function buildRobot(model, linkNames) {
  for (const o of linkObjects) scene.remove(o);
  linkObjects = [];
  if (!model) return;
  const byName = new Map(model.links.map((l) => [l.name, l]));
  for (const name of linkNames) {
    const group = new THREE.Group();
    group.name = name;
    for (const vis of byName.get(name)?.visuals ?? []) {
      const g = vis.geometry;
      let geom;
      let align;
      const c = vis.color ?? [0.7, 0.7, 0.72, 1];
      const mat = new THREE.MeshStandardMaterial({ color: new THREE.Color(c[0], c[1], c[2]), transparent: c[3] < 1, opacity: c[3], roughness: 0.6 });
      let mesh;
      if (g.kind === 'mesh') {
        mesh = new THREE.Group();
        mesh.scale.set(g.scale[0], g.scale[1], g.scale[2]);
        if (g.url) attachMesh(mesh, g.url, vis.color, mat);
        else mesh.add(new THREE.Mesh(new THREE.BoxGeometry(0.05, 0.05, 0.05), mat)); // not resolved on the server: a placeholder
      } else {
        if (g.kind === 'box') geom = new THREE.BoxGeometry(g.size[0], g.size[1], g.size[2]);
        else if (g.kind === 'sphere') geom = new THREE.SphereGeometry(g.radius, 24, 16);
        else {
          geom = new THREE.CylinderGeometry(g.radius, g.radius, g.length, 24);
          align = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI / 2); // three's y axis -> URDF's z axis
        }
        mesh = new THREE.Mesh(geom, mat);
      }
      const [x, y, z] = vis.origin.xyz, [r, p, yw] = vis.origin.rpy;
      mesh.position.set(x, y, z);
      mesh.quaternion.setFromEuler(new THREE.Euler(r, p, yw, 'ZYX')); // URDF: R = Rz(yaw) Ry(pitch) Rx(roll)
      if (align) mesh.quaternion.multiply(align);
      group.add(mesh);
    }
    scene.add(group);
    linkObjects.push(group);
  }
}

// ---- state ----------------------------------------------------------------------------------
const state = { hello: null, frames: 0, last: null, canCommand: false, sim: false, paused: false, events: [], meshes };
window.__axon = state; // for tests and the console
const HISTORY = 600;
const trace = { t: new Float64Array(HISTORY), pos: new Float32Array(HISTORY), tgt: new Float32Array(HISTORY), eff: new Float32Array(HISTORY), n: 0, head: 0 };
let selected = 0;

function onHello(h) {
  state.hello = h;
  state.canCommand = h.canCommand;
  state.sim = h.sim;
  document.title = h.title;
  $('title').textContent = `${h.robot}${h.canCommand ? '' : ' (view only: no token)'}`;
  buildRobot(h.model, h.links);
  const sel = $('joint');
  sel.innerHTML = '';
  h.joints.forEach((j, i) => sel.add(new Option(`${j.name} (${j.type})`, String(i))));
  selected = 0;
  trace.n = 0;
  for (const b of document.querySelectorAll('.sim')) b.hidden = !h.sim;
  setSafety(h.safetyState);
  setPaused(h.paused);
  updateButtons();
}

function onFrame(f) {
  state.frames++;
  state.last = f;
  for (let l = 0; l < linkObjects.length; l++) {
    const o = linkObjects[l], a = f.links, k = 7 * l;
    o.position.set(a[k], a[k + 1], a[k + 2]);
    o.quaternion.set(a[k + 3], a[k + 4], a[k + 5], a[k + 6]);
  }
  setSafety(f.safetyState);
  setPaused((f.flags & 1) !== 0);
  const j = 4 * selected;
  if (j < f.joints.length && (trace.n === 0 || f.time !== trace.t[(trace.head + HISTORY - 1) % HISTORY])) {
    trace.t[trace.head] = f.time;
    trace.pos[trace.head] = f.joints[j];
    trace.tgt[trace.head] = f.joints[j + 1];
    trace.eff[trace.head] = f.joints[j + 2];
    trace.head = (trace.head + 1) % HISTORY;
    trace.n = Math.min(HISTORY, trace.n + 1);
    $('joint-values').textContent = `pos ${f.joints[j].toFixed(3)}  target ${f.joints[j + 1].toFixed(3)}  effort ${f.joints[j + 2].toFixed(2)}`;
  }
}

function onStats(s) {
  $('rate').textContent = s.rateHz.toFixed(1);
  $('p99').textContent = s.periodErrorP99Us.toFixed(0);
  $('overruns').textContent = String(s.overruns);
  $('ticks').textContent = String(s.ticks);
  $('time').textContent = s.time.toFixed(2);
  setSafety(s.safetyState);
  setPaused(s.paused);
  if (s.worldModel) {
    const w = s.worldModel;
    $('wm-row').hidden = false;
    $('wm').textContent = [w.surprise !== null ? `surprise ${w.surprise.toFixed(2)}` : '', w.cost !== null ? `plan cost ${w.cost.toFixed(2)}` : '', w.vetoes ? `${w.vetoes} vetoes` : ''].filter(Boolean).join(', ') || '–';
  }
  const list = $('events');
  for (const e of s.events) {
    state.events.push(e);
    const li = document.createElement('li');
    li.className = e.kind;
    li.textContent = `t=${e.time.toFixed(2)} ${e.kind}${e.joint ? ` ${e.joint}` : ''} → ${e.state}: ${e.reason}`;
    list.prepend(li);
    while (list.children.length > 100) list.lastChild.remove();
  }
}

function setSafety(s) {
  if (!s) return;
  const el = $('safety-state');
  el.textContent = s;
  el.dataset.state = s;
  state.safetyState = s;
  updateButtons();
}
function setPaused(p) {
  state.paused = p;
  $('paused').hidden = !p;
  $('pause').textContent = p ? 'Resume' : 'Pause';
  updateButtons();
}
function updateButtons() {
  const online = ws && ws.readyState === WebSocket.OPEN;
  const can = online && state.canCommand;
  $('estop').disabled = !can;
  $('disarm').disabled = !can;
  $('arm').disabled = !can || !(state.safetyState === 'safe-stop' || state.safetyState === 'e-stopped');
  $('pause').disabled = !can || !state.sim;
  $('step').disabled = !can || !state.sim || !state.paused;
}

// ---- plot -------------------------------------------------------------------------------------
const canvas = $('trace');
const ctx = canvas.getContext('2d');
function drawTrace() {
  const W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  if (trace.n < 2) return;
  const idx = (i) => (trace.head - trace.n + i + HISTORY) % HISTORY;
  const series = [[trace.pos, '#4fc3f7'], [trace.tgt, '#ffb74d']];
  let lo = Infinity, hi = -Infinity;
  for (const [a] of series) for (let i = 0; i < trace.n; i++) { const v = a[idx(i)]; if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  let elo = Infinity, ehi = -Infinity;
  for (let i = 0; i < trace.n; i++) { const v = trace.eff[idx(i)]; if (Number.isFinite(v)) { elo = Math.min(elo, v); ehi = Math.max(ehi, v); } }
  const t0 = trace.t[idx(0)], t1 = trace.t[idx(trace.n - 1)];
  const plot = (a, color, l, h) => {
    if (!(h > l)) { h = l + 1e-3; l -= 1e-3; }
    ctx.strokeStyle = color;
    ctx.beginPath();
    for (let i = 0; i < trace.n; i++) {
      const x = ((trace.t[idx(i)] - t0) / Math.max(1e-9, t1 - t0)) * (W - 4) + 2;
      const y = H - 4 - ((a[idx(i)] - l) / (h - l)) * (H - 8);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  };
  for (const [a, c] of series) plot(a, c, lo, hi);
  plot(trace.eff, '#aed581', elo, ehi);
  ctx.fillStyle = '#889';
  ctx.fillText(`${hi.toFixed(3)}`, 4, 12);
  ctx.fillText(`${lo.toFixed(3)}`, 4, H - 6);
}

// ---- connection ---------------------------------------------------------------------------------
let ws;
let everConnected = false;
function setConn(s) {
  const el = $('conn');
  el.className = `conn ${s}`;
  el.dataset.state = s;
  el.textContent = s === 'lost' ? 'DISCONNECTED' : s;
  $('lost').hidden = s !== 'lost';
  updateButtons();
}
function connect() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => { everConnected = true; setConn('connected'); };
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') return onFrame(decodeFrame(ev.data));
    const m = JSON.parse(ev.data);
    if (m.type === 'hello') onHello(m);
    else if (m.type === 'stats') onStats(m);
    else if (m.type === 'ack') {
      $('msg').textContent = m.ok ? '' : m.message;
      setSafety(m.safetyState);
      setPaused(m.paused);
    } else if (m.type === 'error') $('msg').textContent = m.message;
  };
  ws.onclose = () => {
    setConn(everConnected ? 'lost' : 'connecting');
    setTimeout(connect, 1000);
  };
}
function send(cmd) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'cmd', cmd }));
}
$('estop').onclick = () => send('estop');
$('disarm').onclick = () => send('disarm');
$('arm').onclick = () => send('arm');
$('pause').onclick = () => send(state.paused ? 'resume' : 'pause');
$('step').onclick = () => send('step');
$('joint').onchange = (e) => { selected = Number(e.target.value); trace.n = 0; };
window.addEventListener('keydown', (e) => { if (e.code === 'Space' && e.shiftKey) send('estop'); });

function animate() {
  requestAnimationFrame(animate);
  controls.update();
  renderer.render(scene, camera);
  drawTrace();
}
connect();
animate();

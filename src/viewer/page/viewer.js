// axon viewer page: draws the robot from its visuals (z-up; page/links.js), moves the links from binary state
// frames, shows loop stats, joint traces, safety state and events, foot contacts, a world model's
// rollouts as ghost paths, and sends operator commands (a locomotion policy's velocity command:
// drive.js). The binary frame layouts are documented in
// src/viewer/frames.ts; page/frames.js holds the page's decoders (tested against the server's).
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { decodeRolloutFrame, decodeStateFrame, frameKind } from './frames.js';
import { Kinematics, tracedPoints } from './kinematics.js';
import { createDrive } from './drive.js';
import { buildLinks, meshes } from './links.js';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token') ?? '';

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
// See-through, so that what swings below z = 0 (the pendulum hangs from a pivot at the origin) stays visible.
const ground = new THREE.Mesh(new THREE.PlaneGeometry(10, 10), new THREE.MeshStandardMaterial({ color: 0x262b33, transparent: true, opacity: 0.6, depthWrite: false }));
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

let linkObjects = [];
function buildRobot(model, linkNames) {
  for (const o of linkObjects) scene.remove(o);
  linkObjects = buildLinks(scene, model, linkNames);
  // Hidden until a state frame poses them (the server sends none before the loop's first tick).
  for (const o of linkObjects) o.visible = false;
  // Shapes drawn now (primitives and inline meshes; mesh files add theirs when loaded): for tests.
  let n = 0;
  for (const o of linkObjects) o.traverse((c) => { if (c.isMesh) n++; });
  state.shapes = n;
}

// ---- contacts: a disc on the ground under each contact sensor's link, sized by its normal force ----
const contactDiscs = [];
const contactMaterial = new THREE.MeshBasicMaterial({ color: 0xff9800, transparent: true, opacity: 0.8, depthWrite: false });
function setupContacts(h) {
  for (const d of contactDiscs) scene.remove(d.mesh);
  contactDiscs.length = 0;
  for (const name of h.contacts ?? []) {
    const mesh = new THREE.Mesh(new THREE.CircleGeometry(1, 32), contactMaterial);
    mesh.visible = false;
    scene.add(mesh);
    contactDiscs.push({ name, link: h.links.indexOf(name), mesh });
  }
  $('contacts-row').hidden = contactDiscs.length === 0;
}
/** Places the discs from a state frame: at the link's x y on the ground, radius 12 cm at 150 N (square-root scaled, wider than a foot), hidden under 1 N. */
function drawContacts(f) {
  const shown = [];
  let text = '';
  for (let i = 0; i < contactDiscs.length; i++) {
    const d = contactDiscs[i], force = f.contacts[i] ?? 0;
    const on = force > 1 && d.link >= 0;
    d.mesh.visible = on;
    if (on) {
      const r = 0.12 * Math.sqrt(force / 150);
      d.mesh.position.set(f.links[7 * d.link], f.links[7 * d.link + 1], 0.003);
      d.mesh.scale.set(r, r, 1);
    }
    shown.push({ name: d.name, force, on, x: d.mesh.position.x, y: d.mesh.position.y });
    text += `${text ? ' · ' : ''}${d.name} ${force.toFixed(0)} N`;
  }
  state.contacts = shown;
  if (contactDiscs.length) $('contacts').textContent = text;
}

// ---- world model: rollouts as ghost paths, and the robot at the end of the predicted trajectory ----
// Each rollout row is posed by forward kinematics from its predicted joint positions (the world
// model's joint_pos states; other joints at their present position); a path follows the far end
// of each moving leaf link. Plan: samples shaded by cost (bright = cheap), the plan in yellow.
// Shield: alternatives green when predicted safe, red when not; the command sent in yellow.
const ghost = { frames: 0, mode: null, seq: 0, rows: 0, points: 0, chosen: -1, tips: [] };
let kin = null;
let tips = [];
let ghostLinks = [];
const ghostObjects = [];
const ghostMaterial = new THREE.MeshStandardMaterial({ color: 0xffe066, emissive: 0x806a10, transparent: true, opacity: 0.35, depthWrite: false });
function setupGhost(h) {
  for (const o of [...ghostObjects, ...ghostLinks]) scene.remove(o);
  ghostObjects.length = 0;
  ghostLinks = [];
  tips = [];
  $('wm-legend').hidden = !h.rollouts;
  if (!h.rollouts || !kin) return;
  tips = tracedPoints(h.model, h.kinematics).map((t) => {
    // Drawn over the ground and the robot (no depth test): a path is never hidden behind what it predicts.
    const samples = new THREE.LineSegments(new THREE.BufferGeometry(), new THREE.LineBasicMaterial({ vertexColors: true, transparent: true, opacity: 0.6, depthTest: false, depthWrite: false }));
    const plan = new THREE.Line(new THREE.BufferGeometry(), new THREE.LineBasicMaterial({ color: 0xffe066, depthTest: false }));
    samples.renderOrder = 10;
    plan.renderOrder = 11;
    scene.add(samples, plan);
    ghostObjects.push(samples, plan);
    return { link: h.links.indexOf(t.link), name: t.link, point: new THREE.Vector3(t.point[0], t.point[1], t.point[2]), samples, plan };
  });
  ghost.tips = tips.map((t) => t.name);
  ghostLinks = buildLinks(scene, h.model, h.links, ghostMaterial);
  for (const g of ghostLinks) g.visible = false;
}
const _v = new THREE.Vector3();
const CHEAP = new THREE.Color(0x4dd0e1), DEAR = new THREE.Color(0x37474f), SAFE = new THREE.Color(0x66bb6a), UNSAFE = new THREE.Color(0xef5350);
let pendingRollouts = null; // a rollout frame that came before the first state frame: drawn with it
function onRollouts(f) {
  const h = state.hello, last = state.last;
  if (!kin || !h?.rollouts) return;
  if (!last) {
    pendingRollouts = f;
    return;
  }
  const { rows: R, points: T, stateSize: S, states, scores } = f;
  const slots = h.rollouts.jointSlots;
  const nJ = h.joints.length;
  const q = new Float64Array(nJ);
  for (let i = 0; i < nJ; i++) q[i] = last.joints[4 * i];
  const root = 7 * Math.max(0, h.links.indexOf(h.kinematics.root));
  const rootPos = last.links.subarray(root, root + 3), rootQuat = last.links.subarray(root + 3, root + 7);
  // Colour per row: plan by cost rank, shield by predicted safety.
  const order = Array.from({ length: R }, (_, r) => r).sort((a, b) => scores[a] - scores[b]);
  const rank = new Float32Array(R);
  order.forEach((r, i) => (rank[r] = R > 1 ? i / (R - 1) : 0));
  const colour = (r) => (f.mode === 'shield' ? (scores[r] > 0 ? UNSAFE : SAFE) : CHEAP.clone().lerp(DEAR, rank[r]));
  const pts = tips.map(() => new Float32Array(R * T * 3));
  for (let r = 0; r < R; r++)
    for (let t = 0; t < T; t++) {
      const base = (t * R + r) * S;
      for (const s of slots) q[s.joint] = states[base + s.slot] / s.scale + s.offset;
      const world = kin.solve(rootPos, rootQuat, q);
      tips.forEach((tip, k) => {
        _v.copy(tip.point).applyMatrix4(world[tip.link]);
        pts[k].set([_v.x, _v.y, _v.z], (r * T + t) * 3);
      });
      if (r === f.chosen && t === T - 1) ghostLinks.forEach((g, i) => { world[i].decompose(g.position, g.quaternion, g.scale); g.visible = true; });
    }
  if (f.chosen < 0) for (const g of ghostLinks) g.visible = false;
  tips.forEach((tip, k) => {
    const p = pts[k];
    const seg = new Float32Array(R * (T - 1) * 6), col = new Float32Array(R * (T - 1) * 6);
    let o = 0;
    for (let r = 0; r < R; r++) {
      const c = colour(r);
      for (let t = 0; t + 1 < T; t++, o += 6) {
        seg.set(p.subarray((r * T + t) * 3, (r * T + t + 2) * 3), o);
        col.set([c.r, c.g, c.b, c.r, c.g, c.b], o);
      }
    }
    tip.samples.geometry.dispose();
    tip.samples.geometry = new THREE.BufferGeometry();
    tip.samples.geometry.setAttribute('position', new THREE.BufferAttribute(seg, 3));
    tip.samples.geometry.setAttribute('color', new THREE.BufferAttribute(col, 3));
    tip.plan.visible = f.chosen >= 0;
    if (f.chosen >= 0) {
      tip.plan.geometry.dispose();
      tip.plan.geometry = new THREE.BufferGeometry();
      tip.plan.geometry.setAttribute('position', new THREE.BufferAttribute(p.slice(f.chosen * T * 3, (f.chosen + 1) * T * 3), 3));
    }
  });
  Object.assign(ghost, { frames: ghost.frames + 1, mode: f.mode, seq: f.seq, rows: R, points: T, chosen: f.chosen });
  // For tests and the console: every row's path of the first traced point.
  ghost.paths = pts[0] ? Array.from({ length: R }, (_, r) => Array.from(pts[0].subarray(r * T * 3, (r + 1) * T * 3))) : [];
  ghost.states = states; // the frame's world-model states, time-major (tests compare the paths with them)
  ghost.stateSize = S;
  $('wm-legend').textContent = f.mode === 'shield'
    ? `shield: ${R} rollout${R > 1 ? 's' : ''} of ${T - 1} steps (green safe, red unsafe, yellow sent)`
    : `plan and ${R - 1} samples, ${T - 1} steps × ${h.rollouts.dt} s (bright = cheap, yellow = plan)`;
}

// ---- state ----------------------------------------------------------------------------------
const drive = createDrive((value) => {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'cmd', cmd: 'velocity', value }));
});
const state = { hello: null, shapes: 0, frames: 0, last: null, canCommand: false, canStop: false, sim: false, paused: false, recordedSafety: false, events: [], meshes, ghost, contacts: [] };
state.drive = drive;
state.scene = scene;
window.__axon = state; // for tests and the console
const HISTORY = 600;
const trace = { t: new Float64Array(HISTORY), pos: new Float32Array(HISTORY), tgt: new Float32Array(HISTORY), eff: new Float32Array(HISTORY), n: 0, head: 0 };
let selected = 0;

function onHello(h) {
  state.hello = h;
  state.canCommand = h.canCommand;
  // Stopping is always allowed (docs/safety.md): without the token E-STOP and Disarm still work, unless the run set stopNeedsToken.
  state.canStop = h.canStop ?? h.canCommand;
  state.sim = h.sim;
  document.title = h.title;
  $('title').textContent = `${h.robot}${h.engine ? ` · ${h.engine}` : ''}${h.canCommand ? '' : ' (view only: no token)'}`;
  $('engine-row').hidden = !h.engine;
  $('engine').textContent = h.engine ?? '–';
  buildRobot(h.model, h.links);
  kin = h.kinematics && h.model ? new Kinematics(h.kinematics, h.links) : null;
  setupContacts(h);
  setupGhost(h);
  const sel = $('joint');
  sel.innerHTML = '';
  h.joints.forEach((j, i) => sel.add(new Option(`${j.name} (${j.type})`, String(i))));
  selected = 0;
  trace.n = 0;
  for (const b of document.querySelectorAll('.sim')) b.hidden = !h.sim;
  // A replay: the safety state and events are the recording's; there is nothing to stop or arm.
  state.recordedSafety = h.recordedSafety === true;
  for (const id of ['estop', 'disarm', 'arm']) $(id).hidden = state.recordedSafety;
  $('safety-title').textContent = state.recordedSafety ? 'Safety events (recorded)' : 'Safety events';
  $('safety-state').title = state.recordedSafety ? 'the safety state recorded at the tick shown' : '';
  setSafety(h.safetyState);
  setPaused(h.paused);
  drive.onHello(h);
  updateButtons();
}

const ORIGIN = [0, 0, 0], IDENTITY = [0, 0, 0, 1];
/** A frame without link poses (a real robot): the links posed from its joint positions, the root at the origin. */
function poseFromJoints(f) {
  const n = f.joints.length / 4, q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = f.joints[4 * i];
  const world = kin.solve(ORIGIN, IDENTITY, q);
  const links = new Float32Array(7 * world.length), p = new THREE.Vector3(), r = new THREE.Quaternion(), s = new THREE.Vector3();
  world.forEach((m, i) => {
    m.decompose(p, r, s);
    links.set([p.x, p.y, p.z, r.x, r.y, r.z, r.w], 7 * i);
  });
  return links;
}

function onFrame(f) {
  state.frames++;
  if (f.links.length === 0 && kin && linkObjects.length > 0) f.links = poseFromJoints(f);
  state.last = f;
  if (pendingRollouts) {
    const r = pendingRollouts;
    pendingRollouts = null;
    onRollouts(r);
  }
  for (let l = 0; l < linkObjects.length; l++) {
    const o = linkObjects[l], a = f.links, k = 7 * l;
    o.position.set(a[k], a[k + 1], a[k + 2]);
    o.quaternion.set(a[k + 3], a[k + 4], a[k + 5], a[k + 6]);
    o.visible = true;
  }
  drawContacts(f);
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
  if (s.velocityCommand) drive.onValue(s.velocityCommand.value);
  if (s.worldModel) {
    const w = s.worldModel;
    $('wm-row').hidden = false;
    $('wm').textContent = [w.surprise !== null ? `surprise ${w.surprise.toFixed(2)}` : '', w.cost !== null ? `cost ${w.cost.toFixed(2)}` : '', w.vetoes ? `${w.vetoes} vetoes` : ''].filter(Boolean).join(', ') || '–';
    if (w.series) recordWorldModel(w.series);
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
  $('estop').disabled = !(online && state.canStop);
  $('disarm').disabled = !(online && state.canStop);
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

// ---- world-model signal, every tick (sent with the stats): surprise under a monitor, the plan's
// cost under plan, the predicted violation of the command sent under shield (vetoes marked red) ----
const WM_HISTORY = 600;
const wmTrace = { t: new Float64Array(WM_HISTORY), v: new Float32Array(WM_HISTORY), veto: new Uint8Array(WM_HISTORY), n: 0, head: 0, kind: null, vetoes: 0 };
const WM_LABEL = { surprise: 'surprise (one-step error / error std)', plan: 'cost of the plan (as each tick began)', shield: 'predicted violation of the command sent (0 = safe)' };
function recordWorldModel(series) {
  const mode = state.hello?.rollouts?.mode;
  $('wm-panel').hidden = false;
  for (let i = 0; i < series.time.length; i++) {
    const time = series.time[i];
    if (wmTrace.n > 0 && time <= wmTrace.t[(wmTrace.head + WM_HISTORY - 1) % WM_HISTORY]) continue; // already drawn
    const kind = series.surprise[i] !== null ? 'surprise' : mode ?? 'plan';
    if (wmTrace.kind !== kind) {
      wmTrace.kind = kind;
      wmTrace.n = 0;
      $('wm-signal').textContent = WM_LABEL[kind];
    }
    const v = kind === 'surprise' ? series.surprise[i] : series.cost[i];
    wmTrace.t[wmTrace.head] = time;
    wmTrace.v[wmTrace.head] = v ?? NaN;
    wmTrace.veto[wmTrace.head] = series.vetoed[i] ? 1 : 0;
    if (series.vetoed[i]) wmTrace.vetoes++;
    wmTrace.head = (wmTrace.head + 1) % WM_HISTORY;
    wmTrace.n = Math.min(WM_HISTORY, wmTrace.n + 1);
  }
  const last = (wmTrace.head + WM_HISTORY - 1) % WM_HISTORY;
  state.worldModel = { kind: wmTrace.kind, n: wmTrace.n, last: wmTrace.v[last], lastTime: wmTrace.t[last], vetoes: wmTrace.vetoes };
}
const wmCanvas = $('wm-trace');
const wmCtx = wmCanvas.getContext('2d');
function drawWorldModel() {
  const W = wmCanvas.width, H = wmCanvas.height;
  wmCtx.clearRect(0, 0, W, H);
  const n = wmTrace.n;
  if (n < 2) return;
  const idx = (i) => (wmTrace.head - n + i + WM_HISTORY) % WM_HISTORY;
  let hi = 0;
  for (let i = 0; i < n; i++) { const v = wmTrace.v[idx(i)]; if (Number.isFinite(v)) hi = Math.max(hi, v); }
  if (!(hi > 0)) hi = 1;
  const t0 = wmTrace.t[idx(0)], t1 = wmTrace.t[idx(n - 1)];
  const x = (i) => ((wmTrace.t[idx(i)] - t0) / Math.max(1e-9, t1 - t0)) * (W - 4) + 2;
  wmCtx.strokeStyle = '#ef5350';
  for (let i = 0; i < n; i++) if (wmTrace.veto[idx(i)]) { wmCtx.beginPath(); wmCtx.moveTo(x(i), 0); wmCtx.lineTo(x(i), H); wmCtx.stroke(); }
  wmCtx.strokeStyle = '#ce93d8';
  wmCtx.beginPath();
  let pen = false;
  for (let i = 0; i < n; i++) {
    const v = wmTrace.v[idx(i)];
    if (!Number.isFinite(v)) { pen = false; continue; }
    const y = H - 4 - (v / hi) * (H - 8);
    if (pen) wmCtx.lineTo(x(i), y); else wmCtx.moveTo(x(i), y);
    pen = true;
  }
  wmCtx.stroke();
  wmCtx.fillStyle = '#889';
  wmCtx.fillText(hi.toPrecision(3), 4, 12);
  wmCtx.fillText('0', 4, H - 6);
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
  ws.onopen = () => { everConnected = true; frameAskedAt = 0; setConn('connected'); };
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') {
      if (frameKind(ev.data) === 2) return onRollouts(decodeRolloutFrame(ev.data));
      frameAskedAt = 0; // the answer: the next drawn frame asks again
      return onFrame(decodeStateFrame(ev.data));
    }
    const m = JSON.parse(ev.data);
    if (m.type === 'hello') onHello(m);
    else if (m.type === 'stats') onStats(m);
    else if (m.type === 'ack') {
      $('msg').textContent = m.ok ? '' : m.message;
      setSafety(m.safetyState);
      setPaused(m.paused);
      drive.onAck(m);
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
window.addEventListener('keydown', (e) => { if (e.code === 'Space' && e.shiftKey && !state.recordedSafety) send('estop'); });

// One state frame asked for per drawn frame, one in flight (asked again after 0.5 s without an answer).
let frameAskedAt = 0;
function askFrame() {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  const now = performance.now();
  if (frameAskedAt !== 0 && now - frameAskedAt < 500) return;
  frameAskedAt = now;
  ws.send('{"type":"frame"}');
}

function animate() {
  requestAnimationFrame(animate);
  askFrame();
  drive.poll();
  controls.update();
  renderer.render(scene, camera);
  drawTrace();
  drawWorldModel();
}
connect();
animate();

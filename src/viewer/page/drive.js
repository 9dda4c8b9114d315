// Velocity command for a locomotion policy (the manifest's velocity_commands term), from the page:
// keys W/S (vx ±), A/D (vy ±), Q/E (yaw rate ±), Space or X (zero); an on-screen stick (drag:
// up = forward vx, left = +vy; springs back to zero when released) and a yaw bar; a gamepad
// (Gamepad API: left stick vx/vy, right stick x yaw, dead zone DEAD). Units: vx, vy m/s in the
// robot's heading frame (x forward, y left), wz rad/s (counter-clockwise seen from above).
//
// The page sends {"type":"cmd","cmd":"velocity","value":[vx,vy,wz]} when the command changes (at
// most every SEND_MS, the latest value wins); the server clamps it to the ranges and answers with
// the value in use, which is what the panel shows (stats carry it too, so a command set from the
// command line shows as well). A key press moves its axis by a tenth of the axis's largest |bound|.

const DEAD = 0.15; // gamepad dead zone (stick deflection, 0..1)
const SEND_MS = 50;
const $ = (id) => document.getElementById(id);

export function createDrive(sendCommand) {
  const d = {
    /** What the page asks for (vx, vy, wz), clamped to the ranges locally. */
    cmd: [0, 0, 0],
    /** The value in use on the server (ack / stats). */
    value: [0, 0, 0],
    ranges: [[-1, 1], [-1, 1], [-1, 1]],
    enabled: false,
    inModel: false,
    canCommand: false,
    gamepad: undefined, // the connected pad's id, null when none (undefined: not polled yet)
    sent: 0,
  };
  let lastSend = 0;
  let pending = false;
  let inflight = 0; // sent, not yet acknowledged
  let timer = 0;
  const clamp = (i, v) => Math.min(d.ranges[i][1], Math.max(d.ranges[i][0], v));
  const stepOf = (i) => Math.max(Math.abs(d.ranges[i][0]), Math.abs(d.ranges[i][1])) / 10;
  const active = () => d.enabled && d.inModel && d.canCommand;

  function flush() {
    timer = 0;
    if (!pending) return;
    pending = false;
    lastSend = performance.now();
    d.sent++;
    inflight++;
    sendCommand(d.cmd.slice());
  }
  function set(vx, vy, wz) {
    const next = [clamp(0, vx), clamp(1, vy), clamp(2, wz)].map((v) => Math.round(v * 1000) / 1000 + 0); // +0: no -0
    if (next[0] === d.cmd[0] && next[1] === d.cmd[1] && next[2] === d.cmd[2]) return;
    d.cmd = next;
    pending = true;
    drawStick();
    const wait = lastSend + SEND_MS - performance.now();
    if (wait <= 0) flush();
    else if (!timer) timer = setTimeout(flush, wait);
  }
  d.set = set;

  // ---- keys ----------------------------------------------------------------------------------
  const KEYS = { KeyW: [0, 1], KeyS: [0, -1], KeyA: [1, 1], KeyD: [1, -1], KeyQ: [2, 1], KeyE: [2, -1] };
  window.addEventListener('keydown', (e) => {
    if (!active() || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    if ((e.code === 'Space' && !e.shiftKey) || e.code === 'KeyX') {
      e.preventDefault(); // not a click on the focused button
      set(0, 0, 0);
      return;
    }
    const k = KEYS[e.code];
    if (!k) return;
    e.preventDefault();
    const c = d.cmd.slice();
    c[k[0]] += k[1] * stepOf(k[0]);
    set(c[0], c[1], c[2]);
  });

  // ---- on-screen stick (vx, vy) and yaw bar --------------------------------------------------
  const stick = $('drive-stick');
  const yaw = $('drive-yaw');
  const sctx = stick.getContext('2d');
  const yctx = yaw.getContext('2d');
  function axisValue(i, a) {
    // a in [-1, 1]: +1 -> upper bound, -1 -> lower bound (a range like [0, 2] gives 0 at -1).
    return a >= 0 ? a * Math.max(0, d.ranges[i][1]) : -a * Math.min(0, d.ranges[i][0]);
  }
  function axisUnit(i, v) {
    return v >= 0 ? (d.ranges[i][1] > 0 ? v / d.ranges[i][1] : 0) : d.ranges[i][0] < 0 ? -v / d.ranges[i][0] : 0;
  }
  function drag(el, onMove, onUp) {
    el.addEventListener('pointerdown', (e) => {
      if (!active()) return;
      el.setPointerCapture(e.pointerId);
      onMove(e);
    });
    el.addEventListener('pointermove', (e) => {
      if (el.hasPointerCapture(e.pointerId)) onMove(e);
    });
    const up = (e) => {
      if (!el.hasPointerCapture(e.pointerId)) return;
      el.releasePointerCapture(e.pointerId);
      onUp();
    };
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', up);
  }
  const unit = (e, el) => {
    const r = el.getBoundingClientRect();
    return { x: Math.max(-1, Math.min(1, ((e.clientX - r.left) / r.width) * 2 - 1)), y: Math.max(-1, Math.min(1, ((e.clientY - r.top) / r.height) * 2 - 1)) };
  };
  // Stick: up = +vx, left = +vy; released, it springs back to zero (vx, vy), yaw kept.
  drag(stick, (e) => {
    const u = unit(e, stick);
    set(axisValue(0, -u.y), axisValue(1, -u.x), d.cmd[2]);
  }, () => set(0, 0, d.cmd[2]));
  // Yaw bar: left = +wz (turn left, counter-clockwise); springs back to zero.
  drag(yaw, (e) => set(d.cmd[0], d.cmd[1], axisValue(2, -unit(e, yaw).x)), () => set(d.cmd[0], d.cmd[1], 0));

  function drawStick() {
    const W = stick.width, H = stick.height;
    sctx.clearRect(0, 0, W, H);
    sctx.strokeStyle = '#445';
    sctx.beginPath();
    sctx.arc(W / 2, H / 2, W / 2 - 2, 0, 2 * Math.PI);
    sctx.moveTo(W / 2, 4);
    sctx.lineTo(W / 2, H - 4);
    sctx.moveTo(4, H / 2);
    sctx.lineTo(W - 4, H / 2);
    sctx.stroke();
    const show = (v, fill, r) => {
      sctx.fillStyle = fill;
      sctx.beginPath();
      sctx.arc(W / 2 - axisUnit(1, v[1]) * (W / 2 - 12), H / 2 - axisUnit(0, v[0]) * (H / 2 - 12), r, 0, 2 * Math.PI);
      sctx.fill();
    };
    show(d.cmd, '#556a8a', 12); // asked for
    show(d.value, '#ffb74d', 6); // in use
    const YW = yaw.width, YH = yaw.height;
    yctx.clearRect(0, 0, YW, YH);
    yctx.fillStyle = '#445';
    yctx.fillRect(YW / 2 - 1, 0, 2, YH);
    const yx = (v) => YW / 2 - axisUnit(2, v) * (YW / 2 - 6);
    yctx.fillStyle = '#556a8a';
    yctx.fillRect(yx(d.cmd[2]) - 6, 2, 12, YH - 4);
    yctx.fillStyle = '#ffb74d';
    yctx.fillRect(yx(d.value[2]) - 2, 4, 4, YH - 8);
  }

  // ---- gamepad (polled once per drawn frame) --------------------------------------------------
  let padActive = false;
  const dead = (a) => {
    const m = Math.abs(a);
    return m < DEAD ? 0 : Math.sign(a) * Math.min(1, (m - DEAD) / (1 - DEAD));
  };
  const padLost = () => {
    if (!padActive) return;
    padActive = false;
    set(0, 0, 0);
  };
  // A hidden tab stops the polling (requestAnimationFrame) and an unfocused page gets no pad
  // input: the pad's last velocity would stay commanded, so these stop it too.
  window.addEventListener('gamepaddisconnected', padLost);
  window.addEventListener('blur', padLost);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') padLost();
  });
  d.poll = () => {
    const pads = navigator.getGamepads ? navigator.getGamepads() : [];
    const pad = Array.from(pads).find((p) => p && p.connected && p.axes.length >= 3);
    const name = pad ? pad.id : null;
    if (name !== d.gamepad) {
      d.gamepad = name;
      $('drive-pad').textContent = name ? `gamepad: ${name.slice(0, 40)}` : 'gamepad: none (press a button to connect one)';
    }
    // A pad that goes away mid-motion (unplugged, battery, the browser stops reporting it) is
    // input dropping out: stop, as a released stick does.
    if (!pad) return padLost();
    if (!active()) return;
    // Standard mapping: axes 0/1 left stick x/y (right/down positive), axis 2 right stick x.
    const lx = dead(pad.axes[0]), ly = dead(pad.axes[1]), rx = dead(pad.axes[2]);
    const moved = lx !== 0 || ly !== 0 || rx !== 0;
    if (moved) {
      padActive = true;
      set(axisValue(0, -ly), axisValue(1, -lx), axisValue(2, -rx));
    } else if (padActive) {
      padActive = false; // sticks back in the dead zone: stop (keys and the stick take over)
      set(0, 0, 0);
    }
  };

  // ---- from the server ------------------------------------------------------------------------
  function show() {
    const f = (v) => (v >= 0 ? ' ' : '') + v.toFixed(2);
    $('cmd-vx').textContent = f(d.value[0]);
    $('cmd-vy').textContent = f(d.value[1]);
    $('cmd-wz').textContent = f(d.value[2]);
    drawStick();
  }
  d.onHello = (h) => {
    const v = h.velocityCommand;
    d.enabled = !!v;
    d.canCommand = !!h.canCommand;
    $('drive-panel').hidden = !v;
    if (!v) return;
    d.inModel = v.inModel;
    d.ranges = v.ranges;
    d.value = v.value.slice();
    d.cmd = v.value.slice();
    $('drive-none').hidden = v.inModel;
    $('drive-body').hidden = !v.inModel;
    $('drive-ranges').textContent = `vx [${v.ranges[0].join(', ')}] m/s, vy [${v.ranges[1].join(', ')}] m/s, wz [${v.ranges[2].join(', ')}] rad/s`;
    $('drive-help').textContent = d.canCommand
      ? 'W/S vx ± · A/D vy ± · Q/E yaw ± · Space/X stop · drag the stick · gamepad: left stick vx/vy, right stick yaw'
      : 'view only: open the URL with the token to drive';
    show();
  };
  d.onValue = (v) => {
    if (!d.enabled || !Array.isArray(v)) return;
    d.value = v.slice();
    show();
  };
  d.onAck = (m) => {
    if (m.cmd !== 'velocity') return;
    inflight = Math.max(0, inflight - 1);
    if (!Array.isArray(m.velocityCommand)) return;
    d.onValue(m.velocityCommand);
    // The server's clamp wins: once every sent command is answered, the next key press starts from what is in use.
    if (!pending && inflight === 0) d.cmd = m.velocityCommand.map((x) => Math.round(x * 1000) / 1000 + 0);
  };
  return d;
}

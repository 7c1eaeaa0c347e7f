// The Playground page: minidl trains a small MLP on 2-D points on the server; this page sends
// the settings and Play/Pause/Step/Reset, and draws each frame it receives.
import { asTyped, decodeBytes, diverging, fromByte, lineChart, liveSocket, noteDivergence, paintMap, setStatus } from "/static/common.js";

const controls = document.getElementById("controls");
let points = null;   // {train, test, extent, grid}
let history = [];    // [steps, train loss, test loss]
let playing = false;
let frameTimes = [];

const connection = liveSocket("/ws/playground", {
  busy: (m) => setStatus(m.message, "busy"),
  ready: () => { setStatus(""); sendSettings(); },
  data: (m) => { points = m; history = []; setStatus(""); }, // settings taken: no refusal holds
  frame: showFrame,
  error: (m) => setStatus(m.message, "error"),
  closed: (m) => setStatus(m.reason, "error"),
}, () => setStatus("The connection to the studio closed; reload the page to train again.", "error"));

function settings() {
  const values = Object.fromEntries([...controls.querySelectorAll("select, input")].map((e) => [e.name, e.value]));
  return { dataset: values.dataset, activation: values.activation, noise: Number(values.noise),
           train_fraction: Number(values.train_fraction), learning_rate: Number(values.learning_rate),
           batch_size: Number(values.batch_size), l2: Number(values.l2),
           hidden: values.hidden.split(",").map((w) => w.trim()).filter((w) => w).map(asTyped) };
}

function sendSettings() {
  connection.send({ type: "settings", settings: settings() });
}

function showFrame(frame) {
  frameTimes = [...frameTimes.filter((t) => performance.now() - t < 1000), performance.now()];
  if (!frame.diverged) history.push([frame.steps, frame.train_loss, frame.test_loss]);
  noteDivergence(frame);
  drawBoundary(frame);
  drawNeurons(frame.neurons);
  lineChart(document.getElementById("losses"), [
    { points: history.map(([s, train]) => [s, train]), colour: "#1f6fb2", label: "train loss" },
    { points: history.map(([s, , test]) => [s, test]), colour: "#d9730d", label: "test loss" },
  ], Math.max(0.8, ...history.map(([, a, b]) => Math.max(a, b))), "cross-entropy");
  const stats = document.getElementById("stats");
  Object.assign(stats.dataset, { steps: frame.steps, trainLoss: frame.train_loss, frames: Number(stats.dataset.frames || 0) + 1 });
  const loss = (value) => (value === null ? "diverged" : value.toFixed(3));
  stats.textContent =
    `step ${frame.steps} · epoch ${frame.epoch.toFixed(1)} · train loss ${loss(frame.train_loss)} · ` +
    `test loss ${loss(frame.test_loss)} · ${playing ? frameTimes.length : 0} frames/s`;
  explainStall(frame);
}

function drawBoundary(frame) {
  const canvas = document.getElementById("boundary");
  paintMap(canvas, decodeBytes(frame.boundary), points.grid, points.grid, fromByte((p) => diverging(2 * p - 1)), true);
  const context = canvas.getContext("2d");
  const scale = (v) => ((v + points.extent) / (2 * points.extent)) * canvas.width;
  for (const [set, filled] of [[points.train, true], [points.test, false]]) {
    for (const [x, y, label] of set) {
      context.beginPath();
      context.arc(scale(x), canvas.height - scale(y), 3.2, 0, 2 * Math.PI);
      context.fillStyle = context.strokeStyle = label ? "#c25a00" : "#0b5394";
      if (filled) context.fill(); else context.stroke();
    }
  }
}

function drawNeurons(layers) {
  const container = document.getElementById("neurons");
  if (container.children.length !== layers.length ||
      [...container.children].some((c, i) => c.children.length !== layers[i].length + 1)) {
    container.replaceChildren(...layers.map((layer, l) => {
      const column = document.createElement("div");
      column.className = "layer";
      const heading = Object.assign(document.createElement("span"), { textContent: `layer ${l + 1}`, className: "caption" });
      column.replaceChildren(heading, ...layer.map(() => Object.assign(document.createElement("canvas"), { width: 56, height: 56 })));
      return column;
    }));
  }
  layers.forEach((layer, l) => layer.forEach((neuron, n) => {
    paintMap(container.children[l].children[n + 1], decodeBytes(neuron.bytes), points.grid, points.grid,
             fromByte((v) => diverging(2 * v - 1)), true);
  }));
}

// step and sign pass no gradient backwards: say so with the number that shows it.
function explainStall(frame) {
  const activation = settings().activation;
  const note = document.getElementById("stall-note");
  if (!["step", "sign"].includes(activation) || frame.steps === 0 || frame.diverged) { note.textContent = ""; return; }
  const norm = frame.first_layer_gradient;
  note.textContent = norm === 0
    ? `Gradient reaching the first layer: 0. ${activation}'s derivative is 0 everywhere (and undefined at 0), so ` +
      "backpropagation multiplies every error signal below the output layer by 0: the hidden weights never " +
      "change, only the output layer learns, and the loss stalls at what it can do with fixed random features."
    : `Gradient reaching the first layer: ${norm.toExponential(2)}.`;
}

function setPlaying(value) {
  playing = value;
  document.getElementById("play").textContent = playing ? "Pause" : "Play";
  connection.send({ type: playing ? "play" : "pause" });
}

document.getElementById("play").onclick = () => setPlaying(!playing);
document.getElementById("step").onclick = () => { setPlaying(false); connection.send({ type: "step" }); };
document.getElementById("reset").onclick = () => { history = []; connection.send({ type: "reset" }); };
controls.querySelectorAll("select, input").forEach((element) => { element.onchange = () => sendSettings(); });

// The ConvNet page: LeNet-5 trains on the server; every frame brings the new points of the
// curves, the conv1 filters, the feature maps of one test digit and its Grad-CAM.
import { asTyped, decodeBytes, diverging, fromByte, grey, heat, lineChart, liveSocket, noteDivergence, paintMap, setStatus } from "/static/common.js";

let curves = { loss: [], train: [], test: [] };
let playing = false;

const connection = liveSocket("/ws/convnet", {
  busy: (m) => setStatus(m.message, "busy"),
  ready: () => setStatus(""),
  data: () => { curves = { loss: [], train: [], test: [] }; setStatus(""); }, // settings taken: no refusal holds
  frame: showFrame,
  error: (m) => setStatus(m.message, "error"),
  closed: (m) => setStatus(m.reason, "error"),
}, () => setStatus("The connection to the studio closed; reload the page to train again.", "error"));

function showFrame(frame) {
  for (const point of frame.diverged ? [] : frame.points) {
    curves.loss.push([point.step, point.loss]);
    curves.train.push([point.step, point.train_accuracy]);
    if (point.test_accuracy !== undefined) curves.test.push([point.step, point.test_accuracy]);
  }
  drawCurves();
  drawMaps("filters", frame.filters.map((f) => decodeBytes(f.bytes)), 5, 48, fromByte((v) => diverging(2 * v - 1)), false);
  drawMaps("conv1", frame.conv1.map(decodeBytes), 28, 56, fromByte(grey), false);
  drawMaps("conv2", frame.conv2.map(decodeBytes), 10, 40, fromByte(grey), false);
  drawExample(frame);
  noteDivergence(frame);
  const test = curves.test.length ? `, test accuracy ${curves.test.at(-1)[1].toFixed(3)}` : "";
  const loss = frame.diverged ? ", loss diverged" : curves.loss.length ? `, loss ${curves.loss.at(-1)[1].toFixed(3)}` : "";
  const stats = document.getElementById("stats");
  Object.assign(stats.dataset, { steps: frame.steps, points: curves.loss.length });
  stats.textContent = `step ${frame.steps} · epoch ${frame.epochs.toFixed(2)}${loss}${test}`;
}

function runningMean(points, window) {
  return points.map(([s], i) => {
    const recent = points.slice(Math.max(0, i - window + 1), i + 1);
    return [s, recent.reduce((sum, [, v]) => sum + v, 0) / recent.length];
  });
}

function drawCurves() {
  lineChart(document.getElementById("loss"), [
    { points: curves.loss, colour: "#9fb6cc", label: "batch loss" },
    { points: runningMean(curves.loss, 20), colour: "#1f6fb2", label: "mean of 20" },
  ], Math.max(0.5, ...curves.loss.slice(0, 5).map(([, v]) => v)), "cross-entropy");
  lineChart(document.getElementById("accuracy"), [
    { points: runningMean(curves.train, 20), colour: "#1f6fb2", label: "train (20 batches)" },
    { points: curves.test, colour: "#d9730d", label: "test (200 digits)", dots: true },
  ], 1, "accuracy");
}

function drawMaps(id, maps, side, size, colour) {
  const container = document.getElementById(id);
  if (container.children.length !== maps.length) {
    container.replaceChildren(...maps.map(() => Object.assign(document.createElement("canvas"),
                                                                { width: size, height: size, className: "pixelated" })));
  }
  maps.forEach((values, i) => paintMap(container.children[i], values, side, side, colour));
}

function drawExample(frame) {
  const image = decodeBytes(frame.image);
  paintMap(document.getElementById("example"), image, 28, 28, fromByte(grey));
  const camCanvas = document.getElementById("gradcam");
  paintMap(camCanvas, image, 28, 28, fromByte(grey));
  const layer = new OffscreenCanvas(camCanvas.width, camCanvas.height);
  paintMap(layer, decodeBytes(frame.gradcam), 28, 28, fromByte(heat), true);
  camCanvas.getContext("2d").drawImage(layer, 0, 0);
  const predicted = frame.probabilities.indexOf(Math.max(...frame.probabilities));
  document.getElementById("example-caption").textContent = `label ${frame.label}`;
  document.getElementById("gradcam-caption").textContent =
    `Grad-CAM of "${predicted}" (p = ${(100 * frame.probabilities[predicted]).toFixed(0)}%)`;
}

function setPlaying(value) {
  playing = value;
  document.getElementById("start").textContent = playing ? "Stop" : "Start";
  connection.send({ type: playing ? "play" : "pause" });
}

document.getElementById("start").onclick = () => setPlaying(!playing);
document.getElementById("reset").onclick = () => {
  connection.send({ type: "settings", settings: { learning_rate: Number(document.getElementById("learning-rate").value),
                                                  example: asTyped(document.getElementById("example-index").value) } });
};
document.getElementById("learning-rate").onchange = document.getElementById("reset").onclick;
document.getElementById("example-index").onchange = document.getElementById("reset").onclick;

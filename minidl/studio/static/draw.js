// The Draw page: a pad for mouse, touch and pen; after each stroke the server prepares the
// drawing like MNIST, classifies it and explains one class six ways: four maps from the gradients
// (one request), LIME and Kernel SHAP over the same cells (one request each).
import { asTyped, forAgainst, getJson, grey, heat, paintMap, postJson, setStatus } from "/static/common.js";

const pad = document.getElementById("pad");
const ink = pad.getContext("2d");
const SENT_SIDE = 140; // the drawing is sent at half size: enough for a 20-pixel box
const INK_WIDTH = 18;
const GRADIENT_MAPS = ["saliency", "gradcam", "gradcam_plus_plus", "integrated_gradients"];
const CELL_METHODS = ["lime", "kernel_shap"]; // over grid cells, each with its own request
const MAPS = [...GRADIENT_MAPS, ...CELL_METHODS]; // the canvases of the explanations
const SIGNED = ["integrated_gradients", ...CELL_METHODS]; // drawn green for, red against
const SAMPLES_BOX = { lime: "samples", kernel_shap: "shap-samples" };
let lastInput = null;  // the 28×28 input the server prepared
let chosenClass = null; // null: explain the top class
let shownClass = null;  // the class the maps on the page explain
let drawing = false;
// The number of the newest request of each kind. An answer to an older one is about a drawing,
// class or cell setting the page has since left (Clear, a stroke, a click came meanwhile): dropped.
const newest = { predict: 0, lime: 0, kernel_shap: 0 };
// The server's time for each map of the drawing shown, in ms; the total once all six are in.
let milliseconds = {};
// The refusal of each cell method's settings (samples typed wrong), shown until they are fixed:
// the other method's answer must not clear it.
let refused = {};
// The server's /api/info: cell sizes, samples by default and the fewest and most it takes.
let info = null;

function clearPad() {
  for (const kind of Object.keys(newest)) newest[kind]++;
  milliseconds = {};
  refused = {};
  ink.fillStyle = "#000";
  ink.fillRect(0, 0, pad.width, pad.height);
  lastInput = null;
  chosenClass = null;
  shownClass = null;
  const bars = document.getElementById("bars");
  bars.replaceChildren();
  delete bars.dataset.top;
  delete bars.dataset.target;
  for (const method of CELL_METHODS) delete document.getElementById(method).dataset.target;
  document.getElementById("why").textContent = "Why? Draw a digit first.";
  for (const id of ["input", ...MAPS]) {
    const canvas = document.getElementById(id);
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  }
  for (const id of MAPS) document.getElementById(`${id}-ms`).textContent = "";
  for (const id of ["integrated_gradients-note", "lime-note", "kernel_shap-note", "total-ms"])
    document.getElementById(id).textContent = "";
  setStatus("");
}

function position(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * (pad.width / box.width), (event.clientY - box.top) * (pad.height / box.height)];
}

// A stroke starts with a dot, so that a tap draws one. Not as a line of length 0: the HTML standard
// prunes such a line before stroking and browsers differ on it (whatwg/html#1079); where it drew
// nothing, a tap sent an empty drawing, which the server refuses.
function startStroke(event) {
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  const [x, y] = position(event);
  ink.fillStyle = ink.strokeStyle = "#fff";
  ink.beginPath();
  ink.arc(x, y, INK_WIDTH / 2, 0, 2 * Math.PI);
  ink.fill();
  ink.lineWidth = INK_WIDTH;
  ink.lineCap = ink.lineJoin = "round";
  ink.beginPath();
  ink.moveTo(x, y);
}

function continueStroke(event) {
  if (!drawing) return;
  ink.lineTo(...position(event));
  ink.stroke();
}

function endStroke() {
  if (!drawing) return;
  drawing = false;
  chosenClass = null;
  predict();
}

// The drawing as rows of ink in [0, 1] at SENT_SIDE × SENT_SIDE (the browser averages pixels).
function drawingRows() {
  const small = new OffscreenCanvas(SENT_SIDE, SENT_SIDE);
  const context = small.getContext("2d");
  context.imageSmoothingQuality = "high";
  context.drawImage(pad, 0, 0, SENT_SIDE, SENT_SIDE);
  const red = context.getImageData(0, 0, SENT_SIDE, SENT_SIDE).data.filter((_, i) => i % 4 === 0);
  const rows = [];
  for (let r = 0; r < SENT_SIDE; r++) rows.push(Array.from(red.slice(r * SENT_SIDE, (r + 1) * SENT_SIDE), (v) => v / 255));
  return rows;
}

// postJson's answer, or null when a newer request of the same kind was made (or Clear pressed)
// while it was on its way; an error only for the newest.
async function ask(kind, url, body) {
  const number = ++newest[kind];
  const answer = await postJson(url, body).catch((error) => error);
  if (number !== newest[kind]) return null;
  if (answer instanceof Error) throw answer;
  return answer;
}

async function predict() {
  for (const method of CELL_METHODS) newest[method]++; // answers still on their way explain what this replaces
  const body = lastInput && chosenClass !== null ? { image: lastInput, target: chosenClass } : { drawing: drawingRows() };
  try {
    const result = await ask("predict", "/api/predict", body);
    if (!result) return;
    lastInput = result.input;
    shownClass = result.target;
    showPrediction(result);
    await Promise.all(CELL_METHODS.map((method) => explainWithCells(method, result.target)));
  } catch (error) {
    setStatus(error.message, "error");
  }
}

function showPrediction(result) {
  setStatus("");
  paintMap(document.getElementById("input"), result.input.flat(), 28, 28, grey);
  showBars(result.probabilities, result.top, result.target);
  const p = (100 * result.probabilities[result.target]).toFixed(1);
  document.getElementById("why").textContent =
    `Why "${result.target}"? (p = ${p}%${result.target === result.top ? ", the top class" : ""})`;
  milliseconds = {};
  for (const [name, values] of Object.entries(result.maps)) {
    overlay(document.getElementById(name), values.flat(), SIGNED.includes(name) ? forAgainst : heat);
    showTime(name, result.milliseconds[name]);
  }
  const ig = result.integrated_gradients;
  document.getElementById("integrated_gradients-note").textContent =
    `Integrated Gradients: ${ig.steps} steps from a black image; the attributions add up to ${ig.sum.toFixed(2)}, ` +
    `the logit's change from black is ${ig.logit_change.toFixed(2)} (completeness); colours scaled to the ` +
    `largest |attribution| = ${ig.largest.toPrecision(2)}.`;
}

// A map's server time under it, and the six maps' total once each has its time.
function showTime(name, ms) {
  milliseconds[name] = ms;
  document.getElementById(`${name}-ms`).textContent = `(${ms} ms)`;
  const times = MAPS.map((map) => milliseconds[map]);
  document.getElementById("total-ms").textContent = times.every((t) => t !== undefined)
    ? `Server time for the six maps: ${times.reduce((a, b) => a + b).toFixed(1)} ms ` +
      `(${MAPS.map((map, i) => `${map.replaceAll("_", " ")} ${times[i]}`).join(", ")}).`
    : "";
}

function showBars(probabilities, top, target) {
  const rows = probabilities.flatMap((p, digit) => {
    const button = document.createElement("button");
    button.textContent = digit;
    button.className = digit === target ? "chosen" : "";
    button.title = `explain class ${digit}`;
    button.dataset.digit = digit;
    button.onclick = () => { chosenClass = digit; predict(); };
    const bar = document.createElement("div");
    bar.className = digit === top ? "bar top" : "bar";
    bar.style.width = `${Math.max(1, 100 * p)}%`;
    const value = document.createElement("span");
    value.textContent = `${(100 * p).toFixed(1)}%`;
    return [button, bar, value];
  });
  const bars = document.getElementById("bars");
  bars.replaceChildren(...rows);
  Object.assign(bars.dataset, { top, target }); // what the page shows, for scripts and tests
}

// The 28×28 input in grey with a map painted over it.
function overlay(canvas, values, colour) {
  paintMap(canvas, lastInput.flat(), 28, 28, grey);
  const layer = new OffscreenCanvas(canvas.width, canvas.height);
  paintMap(layer, values, 28, 28, colour, true);
  canvas.getContext("2d").drawImage(layer, 0, 0);
}

// LIME's coefficients or Kernel SHAP's values (method) of the cells, scaled by the largest magnitude;
// a refusal goes to the status line.
async function explainWithCells(method, target) {
  const cellSize = Number(document.getElementById("cell-size").value);
  const samples = asTyped(document.getElementById(SAMPLES_BOX[method]).value);
  const body = { image: lastInput, target, cell_size: cellSize, num_samples: samples };
  let result;
  try {
    result = await ask(method, `/api/${method}`, body);
    if (result === null) return; // a newer request replaced this one: its answer, not this, sets the status
    delete refused[method]; // the settings were taken
  } catch (error) {
    refused[method] = error.message;
  }
  setStatus(Object.values(refused).join(" · "), Object.keys(refused).length ? "error" : "");
  if (!result) return;
  const weights = result.weights.flat();
  const largest = Math.max(...weights.map(Math.abs)) || 1;
  const canvas = document.getElementById(method);
  overlay(canvas, weights.map((w) => w / largest), forAgainst);
  showTime(method, result.milliseconds);
  canvas.dataset.target = result.target;
  const scale = `colours scaled to the largest |${method === "lime" ? "coefficient" : "value"}| = ${largest.toPrecision(2)}`;
  document.getElementById(`${method}-note`).textContent = method === "lime"
    ? `LIME: ${result.num_samples} perturbed images (cells set to black), weighted linear fit R² = ` +
      `${result.score.toFixed(2)}; ${scale}.`
    : `Kernel SHAP: ${result.num_samples} coalitions of cells (the others black); the values add up to ` +
      `p(${result.target}) = ${result.full_value.toFixed(3)} minus ${result.base_value.toFixed(3)} with every cell black; ${scale}.`;
}

// The settings' boxes as the server's /api/info says: its cell sizes, its samples by default, and the
// fewest and most samples it takes for the chosen cell size.
function fillSettings() {
  const select = document.getElementById("cell-size");
  select.replaceChildren(...info.cell_sizes.map((size) => new Option(size, size, false, size === info.default_cell_size)));
  for (const [method, id] of Object.entries(SAMPLES_BOX)) {
    Object.assign(document.getElementById(id), { value: info.default_samples[method], max: info.max_samples });
  }
  showFewestSamples();
}

// Kernel SHAP's fewest samples follow the cell size (one unknown per cell): the box's minimum and a note.
function showFewestSamples() {
  const size = document.getElementById("cell-size").value;
  for (const [method, id] of Object.entries(SAMPLES_BOX)) document.getElementById(id).min = info.min_samples[method][size];
  const cells = (28 / size) ** 2;
  document.getElementById("samples-note").textContent =
    `Samples: LIME takes ${info.min_samples.lime[size]} to ${info.max_samples}; Kernel SHAP over ${cells} cells of ` +
    `${size}×${size} needs at least ${info.min_samples.kernel_shap[size]}: with fewer, its ` +
    "regression often cannot tell the cells apart and the map is made up.";
}

async function start() {
  clearPad();
  try {
    info = await getJson("/api/info");
  } catch (error) {
    setStatus(`${error.message} (reload the page)`, "error");
    return;
  }
  fillSettings();
  pad.addEventListener("pointerdown", startStroke);
  pad.addEventListener("pointermove", continueStroke);
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);
  document.getElementById("clear").onclick = clearPad;
  document.getElementById("cell-size").addEventListener("change", showFewestSamples);
  // A changed setting explains again with the methods it concerns.
  const methodsOf = { "cell-size": CELL_METHODS, samples: ["lime"], "shap-samples": ["kernel_shap"] };
  for (const [id, methods] of Object.entries(methodsOf)) {
    document.getElementById(id).addEventListener("change", () => {
      if (lastInput) methods.forEach((method) => explainWithCells(method, shownClass));
    });
  }
  document.body.dataset.ready = "true"; // for scripts and tests: the page takes strokes now
}

start();

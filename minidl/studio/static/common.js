// Helpers the pages share: JSON requests, decoding maps, painting them, colours, charts,
// and the live-training WebSocket.

export async function postJson(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                      body: JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `${url}: HTTP ${response.status}`);
  return data;
}

export async function getJson(url) {
  const response = await fetch(url);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `${url}: HTTP ${response.status}`);
  return data;
}

// base64 → bytes 0..255 (the server's minidl.studio.encoding).
export function decodeBytes(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// Paint values (row by row, width × height) through colour(value) → [r, g, b, a] onto canvas,
// scaled to its size; smooth=false keeps the pixels square.
export function paintMap(canvas, values, width, height, colour, smooth = false) {
  const small = new OffscreenCanvas(width, height);
  const pixels = new ImageData(width, height);
  for (let i = 0; i < width * height; i++) pixels.data.set(colour(values[i]), 4 * i);
  small.getContext("2d").putImageData(pixels, 0, 0);
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = smooth;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
}

export const grey = (v) => [255 * v, 255 * v, 255 * v, 255];
export const fromByte = (colour) => (b) => colour(b / 255);
// [0, 1] → transparent to opaque red-yellow: an overlay that lets the digit show through.
export const heat = (v) => [255, 255 * Math.min(1, 2 * v) * (1 - 0.5 * v), 40 * (1 - v), 210 * Math.sqrt(v)];
// [-1, 1] → blue (negative) through white to orange (positive), as in TensorFlow Playground.
export function diverging(v) {
  const t = Math.min(1, Math.abs(v));
  return v < 0 ? [255 - 223 * t, 255 - 155 * t, 255 - 50 * t, 255] : [255 - 10 * t, 255 - 108 * t, 255 - 221 * t, 255];
}
// LIME's coefficients in [-1, 1]: green for, red against, transparent near 0.
export const forAgainst = (v) => (v >= 0 ? [0, 170, 60, 190 * Math.min(1, v)] : [220, 30, 30, 190 * Math.min(1, -v)]);

// Several series [{points: [[x, y]], colour, label, dots}] on one set of axes, y from 0 to yMax,
// the title and the legend above the plot; dots: true marks every point (a series measured now
// and then).
export function lineChart(canvas, series, yMax, title) {
  const context = canvas.getContext("2d");
  const [w, h, left, top, bottom] = [canvas.width, canvas.height, 40, 22, 20];
  context.clearRect(0, 0, w, h);
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const x = (v) => left + (v / xMax) * (w - left - 8);
  const y = (v) => h - bottom - (Math.min(v, yMax) / yMax) * (h - bottom - top);
  context.strokeStyle = "#999"; context.fillStyle = "#555"; context.font = "11px sans-serif";
  context.strokeRect(left, top, w - left - 8, h - bottom - top);
  context.fillText(yMax.toFixed(yMax < 2 ? 1 : 0), 4, top + 8);
  context.fillText("0", 28, h - bottom);
  context.fillText(`${xMax} steps`, w - 70, h - 5);
  context.fillText(title, 4, 12);
  let legendX = left + context.measureText(title).width + 12;
  for (const s of series) {
    context.strokeStyle = context.fillStyle = s.colour;
    context.beginPath();
    s.points.forEach(([px, py], i) => (i ? context.lineTo(x(px), y(py)) : context.moveTo(x(px), y(py))));
    context.stroke();
    if (s.dots) s.points.forEach(([px, py]) => context.fillRect(x(px) - 2, y(py) - 2, 4, 4));
    context.fillRect(legendX, 6, 12, 3);
    context.fillText(s.label, legendX + 16, 12);
    legendX += context.measureText(s.label).width + 30;
  }
}

// A diverged run's numbers arrive as null (JSON has no NaN, minidl.studio.encoding): the pages
// draw no point for them and say so in their #diverged-note.
export function noteDivergence(frame) {
  document.getElementById("diverged-note").textContent = frame.diverged
    ? "The loss diverged — lower the learning rate and press Reset (the steps overshot until the loss was no longer a number)."
    : "";
}

// A live-training connection: handlers[type](message) for each message from the server; a
// ping while the page is visible keeps the session from being freed as idle.
export function liveSocket(path, handlers, onClose) {
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    (handlers[message.type] || (() => {}))(message);
  };
  const pinger = setInterval(() => {
    if (document.visibilityState === "visible" && socket.readyState === WebSocket.OPEN) send({ type: "ping" });
  }, 20000);
  socket.onclose = (event) => { clearInterval(pinger); onClose(event); };
  function send(message) {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }
  return { send };
}

// A box's text as the studio should get it: a number when it is spelt as one, else the text itself,
// so that a refusal echoes what the student typed ("x", "") instead of the null that Number("x")
// becomes in JSON or the 0 that Number("") is.
export function asTyped(text) {
  const number = Number(text);
  return /^\s*[-+]?[\d.]+(e[-+]?\d+)?\s*$/i.test(text) && Number.isFinite(number) ? number : text;
}

export function setStatus(text, kind = "") {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = kind;
}

// The Black Box page: the shortcut model's answers on ten pictures, two questions, then LIME's and
// Grad-CAM's explanations of the same pictures and the same two questions again (minidl.studio.poll).
import { decodeBytes, forAgainst, fromByte, getJson, grey, heat, paintMap, postJson, setStatus } from "/static/common.js";

const SIDE = 88; // pixels of each picture on the page
const BROWSER_KEY = "minidl-blackbox-browser";
let shown = null; // the server's /api/blackbox: pictures, answers, questions

// This browser's random id, made once and kept in localStorage (crypto.getRandomValues works on
// plain http too, where crypto.randomUUID does not).
function browserId() {
  let id = localStorage.getItem(BROWSER_KEY);
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(BROWSER_KEY, id);
  }
  return id;
}

// A probability in words: 0.9999 is "over 99.9%", not "100.0%" (the model is never quite certain).
function percent(p) {
  return p > 0.999 ? "over 99.9%" : `${(100 * p).toFixed(1)}%`;
}

function canvas(className = "") {
  const element = document.createElement("canvas");
  element.width = element.height = SIDE;
  element.className = className;
  return element;
}

// One column per picture: the picture, what it is and what the model says; rows for the
// explanations are added later.
function showCases() {
  const [husky, wolf] = shown.classes;
  const columns = shown.cases.map((item, index) => {
    const column = document.createElement("figure");
    column.className = "case";
    column.dataset.index = index;
    const picture = canvas("pixelated");
    paintMap(picture, decodeBytes(item.image), shown.side, shown.side, fromByte(grey));
    const right = item.label === item.predicted;
    const said = document.createElement("b");
    said.textContent = shown.classes[item.predicted];
    const verdict = document.createElement("span");
    verdict.className = right ? "right" : "wrong";
    verdict.textContent = right ? "✓" : "✗ wrong";
    const caption = document.createElement("figcaption");
    caption.append(`a ${shown.classes[item.label]}`, document.createElement("br"), "model: ", said, " ", verdict);
    caption.title = `the model's probability for its answer: ${percent(item.probability)}`;
    column.append(picture, caption);
    return column;
  });
  document.getElementById("cases").replaceChildren(...columns);
  document.getElementById("cases").title = `${husky}: circle, ${wolf}: triangle`;
}

async function showExplanations() {
  const found = await getJson("/api/blackbox/explanations");
  shown.cases.forEach((item, index) => {
    const column = document.querySelector(`.case[data-index="${index}"]`);
    if (column.querySelector(".explanation")) return;
    const picture = decodeBytes(item.image);
    const lime = Array.from(decodeBytes(found.lime[index].bytes), (b) => b / 127.5 - 1); // [-1, 1]
    const gradcam = Array.from(decodeBytes(found.gradcam[index]), (b) => b / 255);
    column.append(explanation(picture, lime, forAgainst, "LIME"), explanation(picture, gradcam, heat, "Grad-CAM"));
  });
  document.getElementById("lime-settings").textContent =
    `${found.lime_samples} perturbed copies, cells of ${found.lime_cell}×${found.lime_cell} pixels hidden with grey`;
  document.getElementById("explanations-note").hidden = false;
}

// The picture in grey with values painted over it, and a label.
function explanation(picture, values, colour, label) {
  const figure = document.createElement("div");
  figure.className = "explanation";
  const drawn = canvas();
  paintMap(drawn, picture, shown.side, shown.side, fromByte(grey));
  const layer = new OffscreenCanvas(SIDE, SIDE);
  paintMap(layer, values, shown.side, shown.side, colour, true);
  drawn.getContext("2d").drawImage(layer, 0, 0);
  const caption = document.createElement("span");
  caption.textContent = label;
  figure.append(drawn, caption);
  return figure;
}

// The questions of a stage as radio buttons; Send is enabled once each has a choice.
function askQuestions(stage) {
  const form = document.getElementById("answers");
  const fieldsets = Object.entries(shown.questions)
    .filter(([, question]) => question.stage === stage)
    .map(([id, question]) => {
      const fieldset = document.createElement("fieldset");
      const legend = document.createElement("legend");
      legend.textContent = question.prompt;
      fieldset.append(legend);
      for (const [value, text] of Object.entries(question.choices)) {
        const label = document.createElement("label");
        const input = document.createElement("input");
        Object.assign(input, { type: "radio", name: id, value });
        label.append(input, ` ${text}`);
        fieldset.append(label);
      }
      return fieldset;
    });
  form.replaceChildren(...fieldsets);
  const send = document.getElementById("send");
  send.disabled = true;
  form.onchange = () => { send.disabled = fieldsets.some((f) => !f.querySelector("input:checked")); };
  send.onclick = () => sendAnswers(stage);
  document.getElementById("stage-title").textContent = stage === "before"
    ? "Before any explanation"
    : "Now look at the explanations under each picture, and answer again";
  document.getElementById("questions").dataset.stage = stage;
}

async function sendAnswers(stage) {
  const answers = Object.fromEntries(new FormData(document.getElementById("answers")));
  document.getElementById("send").disabled = true;
  try {
    const result = await postJson("/api/blackbox/answers", { browser: browserId(), answers });
    setStatus("");
    await goOn(result.answers);
  } catch (error) {
    setStatus(error.message, "error");
    document.getElementById("send").disabled = false;
  }
}

// The stage that follows what this browser has answered: before, after (with the explanations), done.
async function goOn(answered) {
  const unanswered = (stage) =>
    Object.entries(shown.questions).some(([id, question]) => question.stage === stage && !(id in answered));
  if (unanswered("before")) return askQuestions("before");
  await showExplanations();
  if (unanswered("after")) return askQuestions("after");
  document.getElementById("answers").replaceChildren();
  document.getElementById("send-row").hidden = true;
  document.getElementById("stage-title").textContent = "Done";
  showOwnAnswers(answered);
  document.getElementById("done").hidden = false;
  document.getElementById("questions").dataset.stage = "done";
}

// What this browser answered: each question, then its answer before and after.
function showOwnAnswers(answered) {
  const items = Object.entries(shown.questions)
    .filter(([, question]) => question.stage === "before")
    .flatMap(([id, question]) => {
      const name = id.slice(0, -"_before".length);
      const prompt = document.createElement("dt");
      prompt.textContent = question.prompt;
      return [prompt, ...shown.stages.map((stage) => {
        const said = document.createElement("dd");
        said.textContent = `${stage}: ${question.choices[answered[`${name}_${stage}`]]}`;
        return said;
      })];
    });
  document.getElementById("own-answers").replaceChildren(...items);
}

async function start() {
  try {
    shown = await getJson("/api/blackbox");
    showCases();
    const progress = await postJson("/api/blackbox/progress", { browser: browserId() });
    await goOn(progress.answers);
  } catch (error) {
    setStatus(error.message, "error");
  }
}

start();

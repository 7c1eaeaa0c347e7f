// The teacher's view of the Black Box poll: the class's counts before and after the explanations
// beside the paper's, read again every POLL_SECONDS. The paper's counts are of the same 27 people
// before and after, so the comparisons count the students who have answered both stages; the table
// counts every answer given so far.
import { getJson, setStatus } from "/static/common.js";

const POLL_SECONDS = 2;
const STAGES = ["before", "after"];

// "k/n (p%)", or "nobody has finished yet".
function share(count, total) {
  return total ? `${count}/${total} (${Math.round((100 * count) / total)}%)` : "nobody has finished yet";
}

// A row: its label, a bar as long as count/total, and the share in words.
function bar(label, count, total, kind) {
  const row = document.createElement("div");
  row.className = "share";
  const name = document.createElement("span");
  name.textContent = label;
  const track = document.createElement("div");
  track.className = "track";
  const filled = document.createElement("div");
  filled.className = `filled ${kind}`;
  filled.style.width = `${total ? (100 * count) / total : 0}%`;
  track.append(filled);
  const words = document.createElement("span");
  words.textContent = share(count, total);
  row.append(name, track, words);
  return row;
}

// One measure ("trusted the model", "named the background") for the class's students who answered
// both stages (finished) and for the paper's.
function comparison(title, counted, paperCounts, finished, paper) {
  const block = document.createElement("div");
  block.className = "comparison";
  const heading = document.createElement("h3");
  heading.textContent = title;
  block.append(heading);
  for (const stage of STAGES) {
    block.append(bar(`this class, ${stage}`, finished[stage][counted.question][counted.choice], finished.browsers, "class"));
  }
  for (const stage of STAGES) block.append(bar(`the paper, ${stage}`, paperCounts[stage], paper.respondents, "paper"));
  return block;
}

function showResults({ stages, finished, unfinished, paper, questions }) {
  document.getElementById("comparisons").replaceChildren(
    comparison("Would trust the model", { question: "trust", choice: "yes" }, paper.trusted, finished, paper),
    comparison("Picked the background (snow or grass) as the feature it uses; the paper: named snow",
               { question: "feature", choice: "background" }, paper.named_snow, finished, paper),
  );
  const still = unfinished ? `${unfinished} more have answered only part so far` : "nobody is still answering";
  document.getElementById("finished").textContent =
    `The bars count the ${finished.browsers} student(s) who have answered both before and after, as the paper ` +
    `counted the same 27 people twice; ${still}. The table counts every answer.`;
  const rows = [["", ...STAGES], ["students", ...STAGES.map((stage) => String(stages[stage].respondents))]];
  for (const [question, { prompt, choices }] of Object.entries(questions)) {
    rows.push([prompt, "", ""]);
    for (const [choice, label] of Object.entries(choices)) {
      rows.push([label, ...STAGES.map((stage) => String(stages[stage][question][choice]))]);
    }
  }
  document.getElementById("choices").replaceChildren(...rows.map((cells, index) => {
    const row = document.createElement("tr");
    row.className = cells[1] === "" ? "prompt" : "";
    row.append(...cells.map((text) => {
      const cell = document.createElement(index === 0 ? "th" : "td");
      cell.textContent = text;
      return cell;
    }));
    return row;
  }));
  const counts = document.getElementById("comparisons");
  Object.assign(counts.dataset, {
    before: stages.before.respondents, after: stages.after.respondents, finished: finished.browsers, unfinished,
  });
  document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function refresh() {
  try {
    showResults(await getJson("/api/blackbox/results"));
    setStatus("");
  } catch (error) {
    setStatus(`${error.message} (trying again)`, "error");
  }
  setTimeout(refresh, POLL_SECONDS * 1000);
}

refresh();

// The agent's dialog page: one question at a time, polled from the agent; texts are set with
// textContent only, so nothing a website sent can become markup.

export const DIALOG_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Qoltanba agent</title>
<style>
  body { font: 16px system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
  h1 { font-size: 1.2rem; }
  #text { white-space: pre-wrap; background: #f4f4f4; padding: 1rem; border-radius: 6px; max-height: 24rem; overflow: auto; }
  button { display: block; margin: .5rem 0; padding: .6rem 1rem; font-size: 1rem; width: 100%; text-align: left; }
  input { width: 100%; padding: .6rem; font-size: 1rem; box-sizing: border-box; }
  #idle { color: #666; }
</style>
</head>
<body>
<h1 id="title">Qoltanba agent</h1>
<p id="idle">No question right now. Keep this tab open while you sign.</p>
<div id="question" hidden>
  <div id="text"></div>
  <form id="entry" hidden><input id="value" autocomplete="off"><button type="submit" id="submit">OK</button></form>
  <div id="choices"></div>
  <button id="cancel" type="button">Cancel</button>
</div>
<script src="/dialog/app.js"></script>
</body>
</html>
`;

export const DIALOG_PAGE_SCRIPT = `"use strict";
const token = location.hash.slice(1);
const $ = (id) => document.getElementById(id);
let shown = 0;

async function answer(id, value) {
  shown = 0;
  $("question").hidden = true;
  $("idle").hidden = false;
  await fetch("/dialog/answer", { method: "POST", headers: { "content-type": "application/json", "x-dialog-token": token }, body: JSON.stringify({ id, value }) });
}

function show(question) {
  shown = question.id;
  $("idle").hidden = true;
  $("question").hidden = false;
  $("title").textContent = question.title;
  $("text").textContent = question.text;
  $("choices").replaceChildren();
  const entry = question.kind === "secret" || question.kind === "path";
  $("entry").hidden = !entry;
  $("value").value = "";
  $("value").type = question.kind === "secret" ? "password" : "text";
  $("entry").onsubmit = (event) => { event.preventDefault(); answer(question.id, $("value").value); };
  $("cancel").onclick = () => answer(question.id, null);
  if (question.kind === "choose") {
    question.choices.forEach((choice, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = choice;
      button.onclick = () => answer(question.id, index);
      $("choices").append(button);
    });
  }
  if (question.kind === "message") {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "OK";
    button.onclick = () => answer(question.id, null);
    $("choices").append(button);
  }
  if (entry) $("value").focus();
}

async function poll() {
  try {
    const response = await fetch("/dialog/question", { headers: { "x-dialog-token": token }, cache: "no-store" });
    const question = response.ok ? await response.json() : {};
    if (question.id && question.id !== shown) show(question);
  } finally {
    setTimeout(poll, 300);
  }
}
poll();
`;

/* topicbook intrusion page: renders the embedded tasks with DOM nodes and textContent only. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("intrusion-data").textContent);
  var answers = Object.create(null);  // task id -> option index; no prototype, so any id is safe
  var rater = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.setAttribute("class", attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function answered() { return Object.keys(answers).length; }
  function showProgress() {
    document.getElementById("progress").textContent = answered() + " of " + DATA.tasks.length + " tasks answered";
  }
  function choose(task, index, group) {
    answers[task.id] = index;
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
      b.setAttribute("aria-pressed", Number(b.getAttribute("data-option")) === index ? "true" : "false");
    });
    showProgress();
  }
  function renderTask(task, n) {
    var box = el("section", { cls: "task", "data-task": task.id, "aria-label": "Task " + n });
    var word = task.kind === "word";
    box.appendChild(el("h2", { text: "Task " + n + " of " + DATA.tasks.length }));
    if (!word) box.appendChild(el("blockquote", { text: task.quote }));
    box.appendChild(el("p", { text: word ? "Which word does not belong with the others?" : "Which group of words does not fit this quote?" }));
    var group = el("div", { cls: word ? "options" : "options groups", role: "group", "aria-label": "Options of task " + n });
    task.options.forEach(function (text, i) {
      var button = el("button", { type: "button", "data-option": String(i), "aria-pressed": "false", text: text });
      button.addEventListener("click", function () { choose(task, i, group); });
      group.appendChild(button);
    });
    box.appendChild(group);
    return box;
  }
  function start(event) {
    event.preventDefault();
    var name = document.getElementById("rater-name").value.trim();
    if (!name) { document.getElementById("start-message").textContent = "Please give your name or initials first."; return; }
    rater = name;
    document.getElementById("start-form").hidden = true;
    var label = document.getElementById("rater");
    label.textContent = "Rater: " + rater;
    label.hidden = false;
    var root = document.getElementById("tasks");
    DATA.tasks.forEach(function (task, i) { root.appendChild(renderTask(task, i + 1)); });
    root.hidden = false;
    document.getElementById("finish").hidden = false;
    showProgress();
  }
  function download() {
    var copy = {};
    Object.keys(answers).forEach(function (k) { copy[k] = answers[k]; });
    var payload = { format: DATA.format, run: DATA.run, set: DATA.set, rater: rater, answered: answered(),
                    tasks: DATA.tasks.length, saved: new Date().toISOString(), answers: copy };
    var blob = new Blob([JSON.stringify(payload, null, 2)], { type: "application/json" });
    var link = el("a", { href: URL.createObjectURL(blob), download: "intrusion_answers_" + rater.replace(/[^A-Za-z0-9_-]+/g, "_") + ".json" });
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 0);
  }
  document.getElementById("start-form").addEventListener("submit", start);
  document.getElementById("download").addEventListener("click", download);
  document.body.setAttribute("data-ready", "1");
})();

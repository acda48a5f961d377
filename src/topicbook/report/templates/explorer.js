/* topicbook explorer: renders the embedded JSON with DOM nodes and textContent only. */
(function () {
  "use strict";
  /* Ids (documents, codes, speakers, topics, segments, metadata fields) come from the user's data.
     A plain object used as a map would answer "constructor", "toString" or "__proto__" with members
     of Object.prototype, so every id-keyed map of the data is rebuilt without a prototype. */
  function idMap(obj) {
    var map = Object.create(null);
    if (obj) Object.keys(obj).forEach(function (k) { map[k] = obj[k]; });
    return map;
  }
  function mapValues(obj, fn) { var map = idMap(obj); Object.keys(map).forEach(function (k) { map[k] = fn(map[k]); }); return map; }
  var DATA = JSON.parse(document.getElementById("topicbook-data").textContent);
  DATA.segments = idMap(DATA.segments);
  DATA.documents.forEach(function (d) { d.metadata = idMap(d.metadata); });
  DATA.models.forEach(function (m) {
    m.doc_profile = idMap(m.doc_profile); m.dominant = idMap(m.dominant); m.prevalence_by = idMap(m.prevalence_by);
    var a = m.alignment;
    if (a) ["status", "topics", "unstable", "with_codes", "keyword_hits", "cells"].forEach(function (k) { a[k] = idMap(a[k]); });
  });
  if (DATA.verdicts) DATA.verdicts.presence = idMap(DATA.verdicts.presence);
  if (DATA.agreement) {
    DATA.agreement.methods = idMap(DATA.agreement.methods);
    DATA.agreement.per_code = mapValues(DATA.agreement.per_code, idMap);
  }
  /* 20 topic colours: Okabe & Ito's 8 colour-blind-safe colours, then 12 of Paul Tol's (muted,
     dark, bright and light schemes), each the one farthest (CIEDE2000) from those before it;
     every pair differs by a CIEDE2000 of at least 14 (tests/test_explorer.py). Topic 21 takes
     topic 1's colour again. */
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#882255", "#666633", "#225555", "#BBBBBB", "#999933", "#555555", "#117733", "#FFAABB", "#EE8866", "#AA4499", "#EE6677", "#663333"];
  var SVGNS = "http://www.w3.org/2000/svg";
  var state = { model: 0, topic: 0, doc: null, lambda: DATA.run.relevance_lambda, field: null, ldavis: Object.create(null),
    filter: { parent: "", presence: "", status: "", text: "" }, decisionsOpen: true, view: "overview" };
  DATA.codes = DATA.codes || [];
  var CODES = Object.create(null);  // code id -> code
  DATA.codes.forEach(function (c) { CODES[c.id] = c; });
  if (DATA.recommended && modelIndex(DATA.recommended.model) >= 0) state.model = modelIndex(DATA.recommended.model);

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function svg(tag, attrs) { var node = document.createElementNS(SVGNS, tag); setAttrs(node, attrs); return node; }
  function setAttrs(node, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.setAttribute("class", attrs[k]);
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function model() { return DATA.models[state.model]; }
  /* a topic as the researcher named it (Decisions), else as topicbook labelled it */
  function topicName(t, m) { var d = topicDecision(m || model(), t); return t.display + " " + (d && d.label ? d.label : t.label); }
  function codeName(id) { var c = CODES[id]; return c ? c.name : id; }
  function color(k) { return PALETTE[k % PALETTE.length]; }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  function fmt(x, d) { return x === null || x === undefined ? "–" : Number(x).toFixed(d); }
  var PRESENCE = ["present", "uncertain", "absent"];
  var STATUSES = ["own_topic", "split", "merged", "present_without_topic", "absent"];
  var MATCHED = ["own_topic", "split", "merged"];
  function statusName(s) { return s.replace(/_/g, " "); }
  /* what the verdicts say of a topic: the codes it carries, or emergent, or procedural */
  function topicVerdict(t, long) {
    if (t.status === "carries_codes") return (long ? "carries " : "codes: ") + t.codes.map(codeName).join(", ");
    if (t.status === "procedural") return long ? "procedural (interview routine, not a theme)" : "procedural";
    if (t.status === "emergent") return long ? "emergent (no code's evidence explains it)" : "emergent";
    if (t.status === "explained") return (long ? "carries no code; its top segments are evidence of " : "evidence of: ") + (t.explained_by || []).map(codeName).join(", ");
    return "–";
  }
  /* a clickable list item or cell: focusable, Enter/Space activate, arrows move within its list */
  function activate(node) {
    node.setAttribute("tabindex", "0");
    node.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); node.click(); }
      else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && node.tagName === "LI") {
        e.preventDefault();
        var next = e.key === "ArrowDown" ? node.nextElementSibling : node.previousElementSibling;
        if (next) next.focus();
      }
    });
    return node;
  }
  function link(text, handler) {
    return el("a", { href: "#", text: text, onclick: function (e) { e.preventDefault(); handler(); } });
  }

  /* text with the given terms highlighted (terms may be phrases joined by "_") */
  function highlighted(text, terms) {
    var frag = document.createDocumentFragment();
    var words = [];
    (terms || []).forEach(function (t) { t.split("_").forEach(function (w) { if (w.length > 2) words.push(w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")); }); });
    if (!words.length) { frag.appendChild(document.createTextNode(text)); return frag; }
    var re = new RegExp("\\b(" + words.join("|") + ")\\w*", "gi");
    var last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m[0].length === 0) { re.lastIndex++; continue; }
      if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      frag.appendChild(el("mark", { text: m[0] }));
      last = m.index + m[0].length;
    }
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  /* Text as it reads: paragraphs (blank lines) kept, the hard line breaks of PDF pages and
     transcription tools joined by a space ("well-\nknown" becomes "well-known"). */
  function reflow(text) {
    return text.split(/\n[ \t]*\n\s*/).map(function (p) { return p.replace(/-\n[ \t]*(?=[a-z])/g, "-").replace(/[ \t]*\n[ \t]*/g, " ").trim(); })
      .filter(function (p) { return p.length; }).join("\n\n");
  }
  /* A segment's text with each interviewer question above its answer: `q` holds the questions
     joined by a blank line, `qa` (when several) the line of `text` where each answer starts. */
  function questionsAndAnswers(parent, s, render) {
    var qs = s.q ? s.q.split("\n\n") : [], lines = s.text.split("\n");
    var starts = s.qa && s.qa.length === qs.length ? s.qa : [0];
    if (starts.length < 2) qs = qs.length ? [qs.join("\n")] : [];
    if (!qs.length) { parent.appendChild(render(reflow(s.text))); return; }
    qs.forEach(function (q, i) {
      parent.appendChild(el("span", { cls: "question", text: "Q: " + reflow(q) }));
      parent.appendChild(render(reflow(lines.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : lines.length).join("\n"))));
    });
  }
  /* the terms to highlight in a topic's quotes: its distinctive terms (explorer data `highlight`) */
  function highlightTerms(t) { return t.highlight || t.terms; }

  function quote(segId, terms) {
    var s = DATA.segments[segId];
    if (!s) return el("div", { cls: "quote muted", text: segId + " (not embedded)" });
    var body = el("blockquote", { cls: "quote", "data-segment": segId });
    questionsAndAnswers(body, s, function (t) { return highlighted(t, terms); });
    body.appendChild(el("div", { cls: "meta" }, [s.doc + " · " + (s.speaker || "unknown speaker") + " · " + segId + " · ",
      link("open in transcript", function () { showDocument(s.doc, segId); })]));
    return body;
  }

  /* Each view is drawn when it is shown: renderAll marks them all stale and draws the one on
     screen, showView draws a stale one before showing it (a 77-topic model's heatmap or a
     20,000-document list costs nothing until it is looked at). */
  var VIEWS = {
    overview: function () { renderOverview(); },
    topics: function () { renderTopicList(); renderTopic(); },
    codebook: function () { renderCodebook(); },
    documents: function () { renderPrevalence(); renderDocList(); if (state.doc) showDocument(state.doc, null, true); else docPlaceholder(); },
    search: function () { runSearch(); }
  };
  var stale = Object.create(null);
  function renderView(name) { if (stale[name] && VIEWS[name]) { stale[name] = false; VIEWS[name](); } }
  function renderAll() { Object.keys(VIEWS).forEach(function (v) { stale[v] = true; }); renderView(state.view); }
  function showView(name) {
    state.view = name;
    renderView(name);
    document.querySelectorAll(".view").forEach(function (v) { v.classList.toggle("active", v.id === "view-" + name); });
    document.querySelectorAll(".tab").forEach(function (b) {
      var on = b.getAttribute("data-view") === name;
      b.classList.toggle("active", on); b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    if (name === "map") renderLdavis();
  }
  function showTopic(modelIndex, k) {
    if (modelIndex !== state.model) { state.model = modelIndex; document.getElementById("model").value = String(modelIndex); state.topic = k; renderAll(); }
    state.topic = k; showView("topics"); renderTopicList(); renderTopic();
  }

  function selectModel(i) {
    state.model = i; state.topic = 0; document.getElementById("model").value = String(i); renderAll();
    if (document.getElementById("view-map").classList.contains("active")) renderLdavis();
  }

  /* ---------------------------------------------------------------- decisions
     What the researcher concludes: per code, accept or reject its verdict and a memo; per topic,
     a new name, a memo and "make this a new code" (id and name). Kept in this browser's
     localStorage under the run's name and a fingerprint of its topics (a run with other topics
     starts empty), downloaded as decisions.json, the file `topicbook export --decisions` reads:
     {"run": name, "codes": {id: {"decision": "accepted"|"rejected", "memo": ...}},
      "topics": {"<model>:T03": {"label": ..., "new_code": {"id": ..., "name": ...}, "memo": ...}}}
     Keys are left out when empty; topic keys are the columns of doc_topics.csv. */
  var decisions = { codes: Object.create(null), topics: Object.create(null) };
  var TOPICS_BY_KEY = Object.create(null);  // "<model>:T03" -> [model, topic]
  DATA.models.forEach(function (m) { m.topics.forEach(function (t) { TOPICS_BY_KEY[topicKey(m, t)] = [m, t]; }); });
  var RESERVED_PREFIX = "topicbook_";  // ids of the groups the export adds itself
  function topicKey(m, t) { return m.name + ":" + t.display; }
  function topicDecision(m, t) { return decisions.topics[topicKey(m, t)] || null; }
  /* FNV-1a (32 bit) of the run's models and their topics' top terms, in hex */
  function fingerprint() {
    var h = 0x811c9dc5, text = DATA.models.map(function (m) { return m.name + ":" + m.topics.map(function (t) { return t.terms.join(" "); }).join("|"); }).join("\n");
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    return ("0000000" + h.toString(16)).slice(-8);
  }
  var STORE_KEY = "topicbook-decisions:" + DATA.run.name + ":" + fingerprint();
  function store() { try { var s = window.localStorage; s.getItem(STORE_KEY); return s; } catch (e) { return null; } }
  function decisionCounts() { return { codes: Object.keys(decisions.codes).length, topics: Object.keys(decisions.topics).length }; }
  /* decisions.json's object: codes in codebook order, topics in model and topic order */
  function decisionsJson() {
    var codes = {}, topics = {};
    DATA.codes.forEach(function (c) { if (decisions.codes[c.id]) codes[c.id] = decisions.codes[c.id]; });
    Object.keys(TOPICS_BY_KEY).forEach(function (k) { if (decisions.topics[k]) topics[k] = decisions.topics[k]; });
    return { run: DATA.run.name, codes: codes, topics: topics };
  }
  function status(text, cls) {
    var node = document.getElementById("decisions-status");
    node.textContent = text; node.className = cls || "";
  }
  /* one field of the decision on `key` (a code id or topic key) in `map`; an entry left empty goes */
  function setDecision(map, key, field, value) {
    var d = map[key] || {};
    if (value) d[field] = value; else delete d[field];
    if (Object.keys(d).length) map[key] = d; else delete map[key];
    saveDecisions();
  }
  function saveDecisions() {
    if (state.view !== "overview") stale.overview = true;  // it counts the decisions
    var s = store();
    if (s) {
      try { s.setItem(STORE_KEY, JSON.stringify(decisionsJson())); }
      catch (e) { status("Your decisions could not be saved in this browser (" + e.name + "): use Download decisions.", "warn"); }
    }
    renderDecisionCount();
  }
  function renderDecisionCount() {
    var d = decisionCounts();
    document.getElementById("decisions-count").textContent = d.codes + d.topics ? d.codes + " code and " + d.topics + " topic decisions" : "No decisions yet";
  }
  function trimmed(v) { return typeof v === "string" ? v.trim() : ""; }
  /* a decisions object (parsed decisions.json) checked against this run: what it keeps and
     what it leaves out, or an error in words */
  function checkDecisions(data) {
    if (!data || typeof data !== "object" || Array.isArray(data)) return { error: "it does not hold a decisions object ({\"run\": ..., \"codes\": ..., \"topics\": ...})" };
    if (data.run !== DATA.run.name) return { error: "it holds the decisions of run \u201c" + String(data.run) + "\u201d, and this page shows run \u201c" + DATA.run.name + "\u201d" };
    var out = { codes: Object.create(null), topics: Object.create(null) }, ignored = [], newIds = Object.create(null);
    var codes = data.codes && typeof data.codes === "object" ? data.codes : {}, topics = data.topics && typeof data.topics === "object" ? data.topics : {};
    Object.keys(codes).forEach(function (id) {
      var e = codes[id];
      if (!CODES[id] || !e || typeof e !== "object") { ignored.push(id); return; }
      var d = {};
      if (e.decision === "accepted" || e.decision === "rejected") d.decision = e.decision;
      if (trimmed(e.memo)) d.memo = trimmed(e.memo);
      if (Object.keys(d).length) out.codes[id] = d;
    });
    Object.keys(topics).forEach(function (key) {
      var e = topics[key];
      if (!TOPICS_BY_KEY[key] || !e || typeof e !== "object") { ignored.push(key); return; }
      var d = {};
      if (trimmed(e.label)) d.label = trimmed(e.label);
      if (e.new_code && typeof e.new_code === "object" && trimmed(e.new_code.name)) {
        var id = trimmed(e.new_code.id) || slug(e.new_code.name);
        if (newCodeProblem(id, key, newIds)) ignored.push(key + " (new code " + id + ")");
        else { d.new_code = { id: id, name: trimmed(e.new_code.name) }; newIds[id] = key; }
      }
      if (trimmed(e.memo)) d.memo = trimmed(e.memo);
      if (Object.keys(d).length) out.topics[key] = d;
    });
    return { decisions: out, ignored: ignored };
  }
  /* why `id` cannot be the id of topic `key`'s new code, or "" (the rules of topicbook export) */
  function newCodeProblem(id, key, taken) {
    if (!id) return "a new code needs an id";
    if (CODES[id]) return "\u201c" + id + "\u201d is a code of the codebook already";
    if (TOPICS_BY_KEY[id] || /^.+:T\d{2,}$/.test(id) || id.indexOf(RESERVED_PREFIX) === 0) return "\u201c" + id + "\u201d is an id topicbook's export uses itself (topic keys, ids starting with " + RESERVED_PREFIX + ")";
    var used = taken || usedNewCodeIds(key);
    if (used[id] && used[id] !== key) return "\u201c" + id + "\u201d is already the new code of " + used[id];
    return "";
  }
  function usedNewCodeIds(except) {
    var used = Object.create(null);
    Object.keys(decisions.topics).forEach(function (k) { var d = decisions.topics[k]; if (k !== except && d.new_code) used[d.new_code.id] = k; });
    return used;
  }
  /* an id from a name: lower case, runs of other characters as "_" */
  function slug(name) { return trimmed(name).toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "new_code"; }
  function loadStoredDecisions() {
    var s = store(), raw = null;
    if (!s) { status("This browser keeps no decisions for this page (no localStorage): use Download decisions before you close it.", "warn"); return; }
    try { raw = s.getItem(STORE_KEY); } catch (e) { raw = null; }
    if (!raw) return;
    try { var checked = checkDecisions(JSON.parse(raw)); if (checked.decisions) decisions = checked.decisions; }
    catch (e) { status("The decisions saved in this browser could not be read; they were left as they are.", "warn"); }
  }
  function downloadDecisions() {
    var blob = new Blob([JSON.stringify(decisionsJson(), null, 2) + "\n"], { type: "application/json" });
    var a = el("a", { href: URL.createObjectURL(blob), download: "decisions.json" });
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 0);
    var d = decisionCounts();
    status("Downloaded decisions.json (" + d.codes + " code and " + d.topics + " topic decisions).");
  }
  function loadDecisionsFile(file) {
    var reader = new FileReader();
    reader.onload = function () {
      var data;
      try { data = JSON.parse(String(reader.result)); }
      catch (e) { status(file.name + " is not JSON (" + e.message + "); nothing was loaded.", "warn"); return; }
      var checked = checkDecisions(data);
      if (checked.error) { status(file.name + " was not loaded: " + checked.error + ".", "warn"); return; }
      decisions = checked.decisions;
      saveDecisions();
      renderAll();
      var d = decisionCounts();
      status("Loaded " + d.codes + " code and " + d.topics + " topic decisions from " + file.name + " (they replace those this browser had)" +
        (checked.ignored.length ? "; left out, not in this run: " + checked.ignored.join(", ") : "") + ".", checked.ignored.length ? "warn" : "");
    };
    reader.onerror = function () { status(file.name + " could not be read; nothing was loaded.", "warn"); };
    reader.readAsText(file);
  }

  /* ---------------------------------------------------------------- overview */
  function table(head, rows, cls) {
    return el("table", cls ? { cls: cls } : {}, [el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col", text: h }); }))]),
      el("tbody", {}, rows.map(function (r) { return el("tr", {}, r.map(function (v) { return typeof v === "object" && v !== null ? el("td", {}, [v]) : el("td", { text: String(v) }); })); }))]);
  }
  /* names as a sentence: the first `n`, then "and k more" */
  function someNames(names, n) {
    return names.length <= n ? names.join(", ") : names.slice(0, n).join(", ") + " and " + (names.length - n) + " more";
  }
  var STATUS_WORDS = { own_topic: "with a topic of their own", split: "split over several topics", merged: "merged with other codes in one topic",
    present_without_topic: "present without a topic", absent: "absent" };
  /* what the run found, in words: presence of the codes, structure per model, topics no code explains */
  function renderAnswer(root) {
    var r = DATA.run, v = DATA.verdicts, rec = DATA.recommended, m = model();
    var box = el("section", { id: "answer", "aria-label": "What the run found" });
    box.appendChild(el("p", { id: "recommended", cls: "lead" }, ["Shown: ", el("strong", { text: m.name }), " (" + m.type + ", " + m.n_topics + " topics)" +
      (rec && rec.model === m.name ? ", the model this run recommends. " + rec.rule : rec ? ". The run recommends " + rec.model + ". " + rec.rule : "."),
      " The Model menu at the top switches models."]));
    if (v) {
      var ids = Object.keys(v.presence);
      box.appendChild(el("h3", { text: "Codes in the data" }));
      box.appendChild(el("p", { id: "presence-counts", text: "Presence of the " + ids.length + " codes, from the segments against a null of random-word codes: " +
        PRESENCE.map(function (p) { return v.counts[p] + " " + p; }).join(", ") + "." }));
      box.appendChild(el("ul", { cls: "answer-list" }, PRESENCE.filter(function (p) { return v.counts[p]; }).map(function (p) {
        var names = DATA.codes.filter(function (c) { return v.presence[c.id] && v.presence[c.id].presence === p; }).map(function (c) { return c.name; });
        return el("li", { "data-presence": p }, [badge(p), " " + someNames(names, 8) + "."]);
      })));
      box.appendChild(el("h3", { text: "Structure per model" }));
      box.appendChild(el("ul", { id: "structure", cls: "answer-list" }, DATA.models.map(function (mm, i) {
        var a = mm.alignment;
        if (!a) return el("li", { text: mm.name + ": no codebook structure." });
        var parts = STATUSES.filter(function (s) { return a.counts[s]; }).map(function (s, n) { return a.counts[s] + (n ? " " : " codes ") + STATUS_WORDS[s]; });
        var tc = a.topic_counts;
        return el("li", { "data-model": mm.name }, [link(mm.name, function () { selectModel(i); }), " (" + mm.n_topics + " topics" + (rec && rec.model === mm.name ? ", recommended" : "") + "): " +
          parts.join(", ") + "; " + tc.emergent + " emergent and " + tc.procedural + " procedural topic" + (tc.emergent + tc.procedural === 1 ? "" : "s") + "."]);
      })));
    }
    var loose = m.topics.filter(function (t) { return t.status === "emergent" || t.status === "procedural"; });
    if (v) {
      box.appendChild(el("h3", { text: "Topics no code explains (" + m.name + ")" }));
      if (!loose.length) box.appendChild(el("p", { text: "None: every topic of " + m.name + " carries a code." }));
      else box.appendChild(el("ul", { id: "answer-emergent", cls: "answer-list" }, loose.map(function (t) {
        return el("li", {}, [badge(t.status), " ", link(topicName(t), function () { showTopic(state.model, t.id); }), el("span", { cls: "muted", text: " · " + t.terms.slice(0, 6).join(", ") })]);
      })));
      box.appendChild(el("p", { cls: "muted", text: "Emergent: a theme no code's evidence explains, a candidate for a new code (in the Topics view: \u201cMake this a new code\u201d). Procedural: interview routine (greetings, thanks, the interview itself)." }));
    }
    var d = decisionCounts();
    box.appendChild(el("p", { id: "answer-decisions", text: d.codes + d.topics ? "Your decisions so far: " + d.codes + " on codes, " + d.topics + " on topics (kept in this browser; Download decisions saves them as a file for topicbook export --decisions)."
      : "Record what you conclude: accept or reject a code's verdict and write memos in the Codebook view; rename a topic or make it a new code in the Topics view. Download decisions saves them for topicbook export --decisions." }));
    root.appendChild(box);
  }
  function renderOverview() {
    var r = DATA.run, root = clear(document.getElementById("view-overview"));
    root.appendChild(el("h2", { text: "Run " + r.name }));
    renderAnswer(root);
    root.appendChild(el("h2", { cls: "details-head", text: "Details" }));
    var facts = [["Documents", r.documents], ["Segments", r.segments], ["Segments modelled", r.segments_modelled],
      ["Vocabulary", r.vocabulary], ["Interviewer(s)", (r.interviewers.join(", ") || "none") + " (" + r.interviewer_method + ")"],
      ["Seed", r.seed], ["topicbook", r.version],
      ["Transcripts in this page", r.embedded_all_segments ? "all segments" : r.segments_embedded + " quoted segments (report.transcripts)"]];
    root.appendChild(el("table", {}, facts.map(function (f) { return el("tr", {}, [el("th", { scope: "row", text: f[0] }), el("td", { text: String(f[1]) })]); })));
    root.appendChild(el("h3", { text: "Tokens after each preprocessing step" }));
    root.appendChild(el("table", {}, Object.keys(r.tokens).map(function (k) { return el("tr", {}, [el("th", { scope: "row", text: k }), el("td", { text: String(r.tokens[k]) })]); })));
    root.appendChild(el("h3", { text: "Models" }));
    var rows = DATA.models.map(function (m) {
      var a = m.alignment, row = [m.name, m.type, m.n_topics, m.coherence.c_v, m.coherence.c_npmi, m.coherence.u_mass, m.diversity, fmt(m.stability, 2)];
      return row.concat(STATUSES.map(function (s) { return a ? a.counts[s] : "–"; }))
        .concat(["emergent", "procedural"].map(function (s) { return a ? a.topic_counts[s] : "–"; }));
    });
    root.appendChild(el("div", { cls: "scroll" }, [table(["Model", "Type", "K", "c_v", "c_npmi", "u_mass", "Diversity", "Stability"]
      .concat(STATUSES.map(statusName)).concat(["Emergent topics", "Procedural topics"]), rows)]));
    if (DATA.intrusion) root.appendChild(renderIntrusion(DATA.intrusion));
    DATA.comparisons.forEach(function (c) { root.appendChild(renderComparison(c)); });
    if (r.warnings.length) {
      root.appendChild(el("h3", { text: "Warnings" }));
      root.appendChild(el("ul", {}, r.warnings.map(function (w) { return el("li", { cls: "warn", text: w }); })));
    }
  }
  /* human validation: word and topic intrusion scored by `topicbook intrusion-score` */
  function renderIntrusion(v) {
    var box = el("div", { id: "intrusion", cls: "intrusion" }, [el("h3", { text: "Word and topic intrusion (human raters)" })]);
    box.appendChild(el("p", { cls: "muted", text: v.raters.length + " rater(s): " + v.raters.join(", ") +
      ". Precision: share of answers that found the intruder (Chang et al. 2009); brackets: 95% interval; chance: 1 / options." }));
    var rows = [];
    Object.keys(v.models).forEach(function (m) {
      Object.keys(v.models[m]).forEach(function (kind) {
        var f = v.models[m][kind];
        rows.push([m, kind, f.precision === null ? "-" : String(f.precision) + (f.ci_low === null ? "" : " [" + f.ci_low + ", " + f.ci_high + "]"),
          fmt(f.chance, 3), f.tasks, f.answers, f.topic_log_odds === null || f.topic_log_odds === undefined ? "-" : String(f.topic_log_odds)]);
      });
    });
    box.appendChild(table(["Model", "Task", "Precision", "Chance", "Tasks", "Answers", "Topic log odds"], rows, "intrusion-table"));
    var ag = Object.keys(v.agreement || {});
    if (ag.length) box.appendChild(el("p", { cls: "muted", text: "Agreement between raters (Krippendorff's alpha, nominal): " + ag.map(function (k) {
      var a = v.agreement[k]; return k + " " + (a.krippendorff_alpha === null ? "-" : a.krippendorff_alpha) + " (" + a.units + " tasks)"; }).join(", ") }));
    return box;
  }
  /* a count, then the codes' names (in a list that wraps) */
  function namesCell(ids) {
    if (!ids.length) return "none";
    return el("span", {}, [el("strong", { text: ids.length + " codes: " }), ids.map(codeName).join(" · ")]);
  }
  function modelIndex(name) { for (var i = 0; i < DATA.models.length; i++) if (DATA.models[i].name === name) return i; return -1; }
  function renderComparison(c) {
    var ia = modelIndex(c.a), ib = modelIndex(c.b), A = DATA.models[ia], B = DATA.models[ib];
    var box = el("details", { cls: "comparison" }, [el("summary", {}, [el("h3", { text: c.a + " vs " + c.b })])]);
    function codesOf(m) { var a = m.alignment; return a ? Object.keys(a.status).filter(function (c) { return MATCHED.indexOf(a.status[c]) >= 0; }) : []; }
    var ca = codesOf(A), cb = codesOf(B);
    var both = ca.filter(function (x) { return cb.indexOf(x) >= 0; });
    box.appendChild(table(["", c.a, c.b], [
      ["Coherence c_v", A.coherence.c_v, B.coherence.c_v], ["Diversity", A.diversity, B.diversity],
      ["Stability", fmt(A.stability, 2), fmt(B.stability, 2)],
      ["Codes with a topic (own topic, split, merged)", namesCell(ca), namesCell(cb)],
      ["In both", namesCell(both), ""]]));
    box.appendChild(el("p", { cls: "muted", text: "Corresponding topics: one-to-one pairing by the cosine of their term distributions (Hungarian); pairs below 0.3 barely share terms." }));
    var pairs = c.pairs.slice().sort(function (x, y) { return y[2] - x[2]; });
    box.appendChild(el("div", { cls: "scroll" }, [table([c.a + " topic", "codes", c.b + " topic", "codes", "cosine"], pairs.map(function (p) {
      var ta = A.topics[p[0]], tb = B.topics[p[1]];
      return [link(topicName(ta, A), function () { showTopic(ia, p[0]); }), topicVerdict(ta),
        link(topicName(tb, B), function () { showTopic(ib, p[1]); }), topicVerdict(tb), p[2].toFixed(2)];
    }), "pairs")]));
    return box;
  }

  /* ---------------------------------------------------------------- topics */
  function renderTopicList() {
    var list = clear(document.getElementById("topic-list"));
    model().topics.forEach(function (t, i) {
      var d = topicDecision(model(), t);
      var info = pct(t.prevalence) + " of tokens" + (t.stability !== null && t.stability !== undefined ? " · stability " + fmt(t.stability, 2) : "") +
        (t.status ? " · " + topicVerdict(t) : "") + (t.seeded ? " · seeded: " + codeName(t.seeded) : "") +
        (d && d.new_code ? " · your new code: " + d.new_code.name : "") + (d && d.memo ? " · memo" : "");
      list.appendChild(activate(el("li", { "data-topic": String(i), cls: i === state.topic ? "selected" : "", "aria-current": i === state.topic ? "true" : "false",
        onclick: function () { state.topic = i; renderTopicList(); renderTopic(); document.querySelector('#topic-list li[data-topic="' + i + '"]').focus(); } },
        [el("strong", {}, [el("span", { cls: "swatch", style: "background:" + color(i), "aria-hidden": "true" }), " " + topicName(t)]), el("small", { text: info })])));
    });
  }
  /* top terms of a topic by relevance lam*log p(w|k) + (1-lam)*log(p(w|k)/p(w)) */
  function rankedTerms(t, lam, n) {
    var c = t.candidates, idx = c.terms.map(function (_, i) { return i; });
    var score = c.terms.map(function (_, i) { var lp = Math.log(c.pk[i] + 1e-12); return lam * lp + (1 - lam) * (lp - Math.log(c.pw[i] + 1e-12)); });
    idx.sort(function (a, b) { return score[b] - score[a]; });
    return idx.slice(0, n).map(function (i) { return { term: c.terms[i], pk: c.pk[i], pw: c.pw[i] }; });
  }
  function renderTerms() {
    var t = model().topics[state.topic], root = document.getElementById("topic-terms");
    if (!root) return;
    clear(root);
    var terms = rankedTerms(t, state.lambda, Math.max(t.terms.length, 10));
    var max = Math.max.apply(null, terms.map(function (x) { return x.pk; }));
    terms.forEach(function (x) {
      root.appendChild(el("div", { cls: "bar", title: "p(w|topic) " + x.pk + " · lift " + (x.pk / x.pw).toFixed(1) }, [el("span", { cls: "term", text: x.term }),
        el("span", { cls: "track" }, [el("span", { cls: "fill", style: "width:" + (100 * x.pk / max).toFixed(1) + "%" })]),
        el("span", { cls: "muted", text: x.pk.toFixed(4) + " · ×" + (x.pk / x.pw).toFixed(1) })]));
    });
  }
  function renderTopic() {
    var t = model().topics[state.topic], root = clear(document.getElementById("topic-detail"));
    var d = topicDecision(model(), t);
    root.appendChild(el("h2", { text: topicName(t) }));
    root.appendChild(el("p", { cls: "muted", text: (d && d.label ? "topicbook's label: " + t.label + " · " : "") + "Prevalence " + pct(t.prevalence) + " · coherence c_v " + t.coherence +
      (t.stability !== null && t.stability !== undefined ? " · stability " + fmt(t.stability, 2) : "") +
      (t.status ? " · " + topicVerdict(t, true) : "") + (t.seeded ? " · seeded by " + codeName(t.seeded) : "") }));
    root.appendChild(topicDecisionBox(model(), t));
    root.appendChild(el("h3", { text: "Top terms (λ = " + state.lambda.toFixed(2) + "; bar: p(w|topic), ×: lift over the corpus)" }));
    root.appendChild(el("div", { id: "topic-terms" }));
    renderTerms();
    root.appendChild(el("p", { cls: "muted", text: "Exclusive terms (FREX): " + t.exclusive.join(", ") }));
    root.appendChild(el("h3", { text: "Representative quotes" }));
    var box = el("div", { id: "topic-quotes" });
    if (!t.quotes.length) box.appendChild(el("p", { cls: "muted", text: "No quotes (report.quotes_per_topic is 0)." }));
    t.quotes.forEach(function (id) { box.appendChild(quote(id, highlightTerms(t))); });
    root.appendChild(box);
  }
  /* rename a topic, write a memo, make it a new code of the codebook */
  function topicDecisionBox(m, t) {
    var key = topicKey(m, t), d = topicDecision(m, t) || {};
    var box = el("details", { cls: "decision-box", id: "topic-decision", "data-topic-key": key });
    box.open = state.decisionsOpen;
    box.addEventListener("toggle", function () { state.decisionsOpen = box.open; });
    box.appendChild(el("summary", { text: "Your decisions on " + t.display + (d.label || d.memo || d.new_code ? " (recorded)" : "") }));
    var label = el("input", { id: "topic-label", type: "text", autocomplete: "off", placeholder: t.label, value: d.label || "", oninput: function () {
      setTopicDecision(key, "label", trimmed(label.value));
      document.querySelector("#topic-detail h2").textContent = topicName(t, m);
      var item = document.querySelector('#topic-list li[data-topic="' + t.id + '"] strong');
      if (item) item.lastChild.textContent = " " + topicName(t, m);
    } });
    box.appendChild(el("label", { cls: "field" }, ["Name", label]));
    var memo = el("textarea", { id: "topic-memo", rows: "3", oninput: function () { setTopicDecision(key, "memo", trimmed(memo.value)); } });
    memo.value = d.memo || "";
    box.appendChild(el("label", { cls: "memo" }, ["Memo", memo]));
    var make = el("input", { id: "topic-new-code", type: "checkbox" });
    make.checked = !!d.new_code;
    var codeName_ = el("input", { id: "new-code-name", type: "text", autocomplete: "off", value: d.new_code ? d.new_code.name : "" });
    var codeId = el("input", { id: "new-code-id", type: "text", autocomplete: "off", value: d.new_code ? d.new_code.id : "" });
    var problem = el("p", { id: "new-code-problem", cls: "warn small", role: "alert" });
    var edited = !!d.new_code && d.new_code.id !== slug(d.new_code.name);
    var fields = el("div", { cls: "new-code" }, [el("label", { cls: "field" }, ["Code name", codeName_]), el("label", { cls: "field" }, ["Code id", codeId]), problem]);
    fields.hidden = !make.checked;
    function update() {
      fields.hidden = !make.checked;
      if (make.checked && !trimmed(codeName_.value)) codeName_.value = trimmed(label.value) || t.label;
      if (!edited) codeId.value = slug(codeName_.value);
      var id = trimmed(codeId.value), why = make.checked ? newCodeProblem(id, key) : "";
      problem.textContent = why ? why + ": not recorded until you change it." : "";
      setTopicDecision(key, "new_code", make.checked && !why ? { id: id, name: trimmed(codeName_.value) || t.label } : null);
    }
    make.addEventListener("change", update);
    codeName_.addEventListener("input", update);
    codeId.addEventListener("input", function () { edited = trimmed(codeId.value) !== ""; update(); });
    box.appendChild(el("label", { cls: "check" }, [make, " Make this topic a new code of the codebook"]));
    box.appendChild(fields);
    box.appendChild(el("p", { cls: "muted small", text: "topicbook export --decisions adds new codes in a “topicbook: new codes” group, coded on the segments this topic dominates." }));
    return box;
  }
  function setTopicDecision(key, field, value) { setDecision(decisions.topics, key, field, value); }

  /* ---------------------------------------------------------------- codebook map */
  function badge(s) { return el("span", { cls: "badge " + s, text: statusName(s) }); }
  function presenceOf(c) { return DATA.verdicts ? DATA.verdicts.presence[c] : null; }
  function isMatch(a, c, k) { return MATCHED.indexOf(a.status[c]) >= 0 && (a.topics[c] || []).indexOf(k) >= 0; }
  /* codebook hierarchy: children of each code id ("" for the top level), in codebook order */
  var CHILDREN = Object.create(null);
  DATA.codes.forEach(function (c) {
    var parent = c.parent && CODES[c.parent] ? c.parent : "";
    (CHILDREN[parent] = CHILDREN[parent] || []).push(c.id);
  });
  function descendantsOf(id) {
    var out = [];
    (CHILDREN[id] || []).forEach(function (c) { out.push(c); out.push.apply(out, descendantsOf(c)); });
    return out;
  }
  function depthOf(id) { var d = 0, c = CODES[id]; while (c && c.parent && CODES[c.parent] && d < 50) { d++; c = CODES[c.parent]; } return d; }
  /* does code `id` pass the Codebook view's filters (parent, presence, status in the model shown, text)? */
  function passesFilter(id) {
    var f = state.filter, a = model().alignment, p = presenceOf(id), code = CODES[id];
    if (f.parent && id !== f.parent && descendantsOf(f.parent).indexOf(id) < 0) return false;
    if (f.presence && (!p || p.presence !== f.presence)) return false;
    if (f.status && (!a || a.status[id] !== f.status)) return false;
    if (f.text && (id + " " + (code ? code.name + " " + code.definition : "")).toLowerCase().indexOf(f.text) < 0) return false;
    return true;
  }
  var SHORT_STATUS = { own_topic: "own topic", split: "split", merged: "merged", present_without_topic: "no topic", absent: "absent" };
  function shortBadge(s, title) { return el("span", { cls: "badge " + s, text: SHORT_STATUS[s] || statusName(s), title: title || statusName(s) }); }
  function detailPlaceholder() {
    var root = clear(document.getElementById("cell-detail"));
    root.removeAttribute("data-code");
    if (!DATA.codes.length) return;
    root.appendChild(el("p", { cls: "muted", text: "Click a code's name for its definition, its verdict with the reason, its status in each model, its strongest evidence segments and your decision (accept or reject the verdict, a memo). Click a heatmap cell for the segments of that topic and code." }));
    var d = decisionCounts();
    root.appendChild(el("p", { cls: "muted", text: d.codes ? "You decided on " + d.codes + " codes (Decision column)." : "No decision on a code yet." }));
  }
  function renderCodebook() {
    detailPlaceholder();
    var m = model(), a = m.alignment;
    renderCodebookFilters();
    renderLooseTopics();
    var tree = clear(document.getElementById("codebook-tree"));
    if (!DATA.codes.length) tree.appendChild(el("p", { text: "No codebook in this run." }));
    else renderCodeTree(tree);
    renderHeatmap();
    var more = clear(document.getElementById("codebook-more"));
    if (a) { renderAgreement(more); renderVerdictScores(more); }
  }
  function renderCodebookFilters() {
    var root = clear(document.getElementById("codebook-filters")), f = state.filter, m = model();
    root.appendChild(el("h2", { text: "Codebook" }));
    if (!DATA.codes.length) return;
    function pick(id, label, options, key) {
      var sel = el("select", { id: id, onchange: function () { f[key] = sel.value; renderCodeTree(clear(document.getElementById("codebook-tree"))); renderHeatmap(); } },
        options.map(function (o) { var opt = el("option", { value: o[0], text: o[1] }); if (o[0] === f[key]) opt.selected = true; return opt; }));
      return el("label", {}, [label + " ", sel]);
    }
    var groups = DATA.codes.filter(function (c) { return (CHILDREN[c.id] || []).length; });
    var text = el("input", { id: "code-filter", type: "search", autocomplete: "off", value: f.text, oninput: function () {
      f.text = text.value.trim().toLowerCase(); renderCodeTree(clear(document.getElementById("codebook-tree"))); renderHeatmap(); } });
    root.appendChild(el("div", { cls: "filters" }, [
      groups.length ? pick("filter-parent", "Group", [["", "all"]].concat(groups.map(function (c) { return [c.id, c.name]; })), "parent") : null,
      pick("filter-presence", "Presence", [["", "all"]].concat(PRESENCE.map(function (p) { return [p, p]; })), "presence"),
      m.alignment ? pick("filter-status", "Status in " + m.name, [["", "all"]].concat(STATUSES.map(function (s) { return [s, statusName(s)]; })), "status") : null,
      el("label", {}, ["Find ", text])]));
    root.appendChild(el("p", { cls: "legend muted small" }, ["Presence in the data (from the segments, whatever the model): "].concat(PRESENCE.map(badge))
      .concat([". Status per model: "]).concat(STATUSES.map(function (s) { return shortBadge(s); }))
      .concat([" (no topic: present without a topic of its own). Click a code for its evidence, its verdict and your decision."])));
  }
  /* emergent and procedural topics of every model: the themes no code explains */
  function renderLooseTopics() {
    var root = clear(document.getElementById("topics-without-code"));
    if (!DATA.verdicts) return;
    var order = [state.model].concat(DATA.models.map(function (_, i) { return i; }).filter(function (i) { return i !== state.model; }));
    var box = el("section", { cls: "panel", "aria-label": "Topics no code explains" }, [el("h3", { text: "Topics no code explains" })]);
    order.forEach(function (i, n) {
      var mm = DATA.models[i], loose = mm.topics.filter(function (t) { return t.status === "emergent" || t.status === "procedural"; });
      loose.sort(function (x, y) { return (x.status === "emergent" ? 0 : 1) - (y.status === "emergent" ? 0 : 1) || x.id - y.id; });
      var items = el("ul", { cls: "loose-topics", "data-model": mm.name }, loose.map(function (t) {
        var d = topicDecision(mm, t);
        return el("li", { "data-topic-key": topicKey(mm, t) }, [badge(t.status), " ", link(topicName(t, mm), function () { showTopic(i, t.id); }),
          d && d.new_code ? el("span", { cls: "badge decided", text: "new code: " + d.new_code.name }) : null]);
      }));
      var head = mm.name + ": " + (loose.length ? loose.filter(function (t) { return t.status === "emergent"; }).length + " emergent, " +
        loose.filter(function (t) { return t.status === "procedural"; }).length + " procedural" : "none");
      if (!loose.length) box.appendChild(el("p", { cls: "muted", text: head }));
      else if (n === 0) box.appendChild(el("div", {}, [el("p", { text: head }), items]));
      else box.appendChild(el("details", {}, [el("summary", { text: head }), items]));
    });
    root.appendChild(box);
  }
  /* the codebook as a tree: every code by name (id on hover) with its presence, support, status
     in each model and your decision; groups collapse. A fixed-layout table of the view's width. */
  function renderCodeTree(root) {
    var v = DATA.verdicts, shownModel = model().name;
    var visible = Object.create(null);
    DATA.codes.forEach(function (c) {
      if (!passesFilter(c.id)) return;
      visible[c.id] = true;
      var up = c; while (up && up.parent && CODES[up.parent] && !visible[up.parent]) { visible[up.parent] = "ancestor"; up = CODES[up.parent]; }
    });
    var n = Object.keys(visible).filter(function (k) { return visible[k] === true; }).length;
    root.appendChild(el("p", { id: "codebook-count", cls: "muted small", text: n + " of " + DATA.codes.length + " codes shown" }));
    var cols = el("colgroup", {}, [el("col", { cls: "c-name" }), el("col", { cls: "c-presence" })]
      .concat(DATA.models.map(function () { return el("col", { cls: "c-status" }); })).concat([el("col", { cls: "c-decision" })]));
    var head = el("tr", {}, [el("th", { scope: "col", text: "Code" }), el("th", { scope: "col", text: "Presence", title: "presence verdict · evidence segments (random-word codes reach)" })]
      .concat(DATA.models.map(function (mm) { return el("th", { scope: "col", cls: mm.name === shownModel ? "current" : "", title: mm.name + " (" + mm.type + ", K=" + mm.n_topics + ")", text: mm.name }); }))
      .concat([el("th", { scope: "col", text: "Decision" })]));
    var body = el("tbody");
    function addRows(parentId) {
      (CHILDREN[parentId] || []).forEach(function (id) {
        if (!visible[id]) return;
        body.appendChild(codeRow(id, v));
        addRows(id);
      });
    }
    addRows("");
    root.appendChild(el("table", { cls: "codebook", id: "codebook-table" }, [cols, el("thead", {}, [head]), body]));
  }
  function codeRow(id, v) {
    var code = CODES[id], p = v ? v.presence[id] : null, kids = (CHILDREN[id] || []).length, depth = depthOf(id);
    var name = el("td", { cls: "name", style: "padding-left:" + (0.4 + 1.1 * depth) + "rem" });
    if (kids) {
      var toggle = el("button", { type: "button", cls: "toggle", "aria-expanded": "true", "aria-label": "Collapse " + code.name, onclick: function (e) {
        e.stopPropagation();
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        toggle.setAttribute("aria-label", (open ? "Collapse " : "Expand ") + code.name);
        toggle.textContent = open ? "\u25be" : "\u25b8";
        descendantsOf(id).forEach(function (c) {
          var row = document.querySelector('#codebook-table tr[data-code="' + cssEscape(c) + '"]');
          if (row) row.hidden = !open || ancestorsCollapsed(c);
        });
      } }, ["\u25be"]);
      name.appendChild(toggle);
    }
    name.appendChild(link(code.name, function () { showCode(id); }));
    name.lastChild.setAttribute("title", id);
    name.lastChild.setAttribute("data-code-link", id);
    if (kids) name.appendChild(el("span", { cls: "muted small", text: " group of " + kids }));
    var presence = el("td", { cls: "presence" }, p ? [badge(p.presence), el("span", { cls: "support", title: p.support + " evidence segments in " + p.documents + " documents; random-word codes reach " + p.expected_false,
      text: " " + p.support + " seg." })] : []);
    var statuses = DATA.models.map(function (mm) {
      var a = mm.alignment, st = a ? a.status[id] : null;
      if (!st) return el("td", { cls: "status" });
      var where = (a.topics[id] || []).map(function (k) { return mm.topics[k].display; }).join(", ");
      return el("td", { cls: "status" }, [shortBadge(st, mm.name + ": " + statusName(st) + (where ? " (" + where + ")" : "") + (a.unstable[id] ? ", unstable in the re-fits" : "")),
        a.unstable[id] ? el("span", { cls: "muted small", text: " unstable" }) : null]);
    });
    return el("tr", { "data-code": id, cls: kids ? "group" : "" }, [name, presence].concat(statuses).concat([decisionCell(id)]));
  }
  function decisionCell(id) {
    var d = decisions.codes[id];
    return el("td", { cls: "decision" }, d ? [d.decision ? el("span", { cls: "badge decided " + d.decision, text: d.decision }) : null,
      d.memo ? el("span", { cls: "memo-mark", title: d.memo, text: " memo" }) : null] : []);
  }
  function ancestorsCollapsed(id) {
    var c = CODES[id];
    while (c && c.parent && CODES[c.parent]) {
      var row = document.querySelector('#codebook-table tr[data-code="' + cssEscape(c.parent) + '"] .toggle');
      if (row && row.getAttribute("aria-expanded") !== "true") return true;
      c = CODES[c.parent];
    }
    return false;
  }
  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&"); }
  /* topic x code correlations for the analysed codes that pass the filters */
  var HEATMAP_OPEN_CELLS = 2500;  // a larger heatmap is drawn when its section is opened
  function renderHeatmap() {
    var root = clear(document.getElementById("heatmap"));
    var m = model(), a = m.alignment;
    if (!a) return;
    var codes = a.codes.map(function (c, j) { return [c, j]; }).filter(function (cj) { return passesFilter(cj[0]); });
    var cells = codes.length * m.topics.length;
    var box = el("details", { id: "heatmap-box" }, [el("summary", {}, [el("h3", { id: "heatmap-head", text: "Topic \u00d7 code correlations (" + m.name + ", " + codes.length + " of " + a.codes.length + " analysed codes)" })])]);
    box.open = cells <= HEATMAP_OPEN_CELLS;
    if (cells > HEATMAP_OPEN_CELLS) box.firstChild.appendChild(el("span", { cls: "muted small", text: " " + cells + " cells: open to draw them, or choose fewer codes with the filters" }));
    root.appendChild(box);
    var drawn = false;
    function draw() { if (box.open && !drawn) { drawn = true; drawHeatmap(box, m, a, codes); } }
    box.addEventListener("toggle", draw);
    draw();
  }
  function drawHeatmap(root, m, a, codes) {
    root.appendChild(el("p", { cls: "muted", text: "Correlation of each topic (rows) with each code's evidence (columns); outlined cells are the topics that carry the code (above what random-word codes reach). The filters above choose the columns. Click a cell (or focus it and press Enter) for its quotes." }));
    if (!codes.length) { root.appendChild(el("p", { text: "No analysed code passes the filters." })); return; }
    var head = el("tr", {}, [el("th", { text: "Topic" })].concat(codes.map(function (cj) {
      var c = cj[0], p = presenceOf(c);
      return el("th", { scope: "col", title: codeName(c) }, [el("div", { text: c }), el("div", {}, (p ? [badge(p.presence)] : []).concat([badge(a.status[c])]))]);
    })).concat([el("th", { text: "Status" })]));
    var rows = m.topics.map(function (t, k) {
      var cells = codes.map(function (cj) {
        var c = cj[0], j = cj[1], v = a.similarity[k][j], shade = Math.max(0, Math.min(1, v / 0.6)), hit = isMatch(a, c, k);
        return activate(el("td", { cls: "cell" + (hit ? " match" : ""), "data-cell": k + "," + j, title: t.display + " × " + c + (hit ? " (carries the code)" : ""),
          "aria-label": t.display + " × " + c + ": correlation " + v.toFixed(2) + (hit ? ", carries the code" : ""),
          style: "background: rgba(0,114,178," + shade.toFixed(2) + "); color:" + (shade > 0.55 ? "#fff" : "#000"), text: v.toFixed(2),
          onclick: function () { showCell(k, j); } }));
      });
      return el("tr", {}, [el("th", { scope: "row" }, [link(topicName(t), function () { showTopic(state.model, k); })])].concat(cells).concat([el("td", {}, t.status ? [badge(t.status)] : [])]));
    });
    root.appendChild(el("div", { cls: "scroll" }, [el("table", { cls: "heat" }, [head].concat(rows))]));
  }
  /* the run's own verdicts scored against the human codings (verdicts.json `evaluation`) */
  function renderVerdictScores(root) {
    var ev = DATA.verdicts && DATA.verdicts.evaluation;
    if (!ev) return;
    root.appendChild(el("h3", { id: "verdict-scores", text: "Verdicts against human codings" }));
    var used = ev.presence.filter(function (p) { return p.human_segments > 0; });
    root.appendChild(el("p", { cls: "muted", text: "Presence: of the " + used.length + " codes the human codings use, " +
      PRESENCE.map(function (s) { return used.filter(function (p) { return p.presence === s; }).length + " " + s; }).join(", ") +
      ". Match precision: of the 10 segments a carrying topic weighs highest (in coded documents), the share humans coded with the code, against the code's share of all coded segments (its base rate)." }));
    var names = DATA.models.map(function (m) { return m.name; });
    var perModel = names.map(function (n) {
      var ms = ev.matches.filter(function (x) { return x.model === n; });
      var mean = function (key) { return ms.length ? ms.reduce(function (t, x) { return t + x[key]; }, 0) / ms.length : null; };
      var p = mean("precision"), b = mean("base_rate");
      return [n, ms.length, fmt(p, 3), fmt(b, 3), p !== null && b ? (p / b).toFixed(1) + "×" : "–"];
    });
    root.appendChild(table(["Model", "Matches", "Mean precision", "Mean base rate", "Precision / base rate"], perModel, "verdict-precision"));
    root.appendChild(el("details", {}, [el("summary", { text: "Per match" }), table(["Model", "Code", "Topic", "Status", "Precision", "Base rate"],
      ev.matches.map(function (x) { return [x.model, x.code, DATA.models[modelIndex(x.model)].topics[x.topic].display, statusName(x.status), x.precision, x.base_rate]; }))]));
    root.appendChild(el("details", {}, [el("summary", { text: "Presence per code" }), table(["Code", "Presence", "Human-coded segments", "Documents"],
      ev.presence.map(function (x) { return [x.code, x.presence, x.human_segments, x.human_documents]; }), "verdict-presence")]));
  }
  /* agreement with human codings: one row per scoring method, then per code for the chosen one */
  function renderAgreement(root) {
    var ag = DATA.agreement;
    if (!ag) return;
    root.appendChild(el("h3", { id: "agreement", text: "Agreement with human codings" }));
    root.appendChild(el("p", { cls: "muted", text: "Each method scores every segment for every code; a code is predicted where its score is above the threshold set at the code's prevalence" +
      (ag.holdout_documents.length ? " in the documents not held out (figures on the " + ag.holdout_documents.length + " held-out documents)." : ".") +
      " The length floor is the ROC AUC of segment length alone." }));
    root.appendChild(el("p", { cls: "muted", text: "Intervals: 95% bootstrap, documents resampled (thresholds fixed). Alpha: Krippendorff's alpha of the method as a coder beside the human (nominal), mean over codes." }));
    var names = Object.keys(ag.methods);
    root.appendChild(agreementTable(ag.methods, "agreement"));
    if (ag.sample) {
      var smp = ag.sample;
      root.appendChild(el("h3", { id: "agreement-sample", text: "Agreement on the hand-coded " + (smp.random ? "random " : "") + "sample" }));
      root.appendChild(el("p", { cls: "muted", text: smp.n_segments + " segments of " + smp.n_documents + " documents" +
        (smp.stratify ? ", stratified by " + smp.stratify : "") + ", seed " + smp.seed + ". Every sampled segment counts, coded or not" +
        (smp.random ? ": the unbiased estimate of each method's agreement." : ".") }));
      root.appendChild(agreementTable(smp.methods, "agreement-sample"));
    }
    var pick = el("select", { "aria-label": "Method for the per-code table" }, names.map(function (n) { return el("option", { value: n, text: n }); }));
    var box = el("div", {});
    function perCode() {
      clear(box);
      var pc = ag.per_code[pick.value] || {};
      var h = el("tr", {}, ["Code", "Positives", "Precision", "Recall", "F1", "ROC AUC", "Alpha"].map(function (x) { return el("th", { text: x }); }));
      var r = Object.keys(pc).map(function (c) { var v = pc[c]; return el("tr", {}, [c, v.positives, v.precision, v.recall, v.f1, v.roc_auc, v.krippendorff_alpha].map(function (x) { return el("td", { text: x === null || x === undefined ? "-" : String(x) }); })); });
      box.appendChild(el("table", { cls: "agreement-codes" }, [h].concat(r)));
    }
    pick.addEventListener("change", perCode);
    root.appendChild(el("label", {}, ["Per code for ", pick]));
    root.appendChild(box);
    perCode();
    renderLearned(root, ag.learned);
  }
  /* the learned score: how it was fitted, which codes fell back, and its learning curve */
  function renderLearned(root, L) {
    if (!L) return;
    var unit = L.groups === "document" ? "documents" : L.groups + " groups";
    root.appendChild(el("h3", { id: "learned", text: "Learned from your coding" }));
    root.appendChild(el("p", { cls: "muted", text: "The method learned blends the label-free " + L.prior + " score with a regression on your coded segments. " +
      (L.folds ? "Its figures above are out-of-fold: " + L.folds + "-fold cross-validation over the " + L.coded_groups + " coded " + unit +
        ", a " + (L.groups === "document" ? "document" : "group") + " is never scored by a model trained on it (prior strength kappa " + L.kappa + ")."
        : "With " + L.coded_groups + " coded " + unit + " there is no cross-validation, so it has no agreement figure.") }));
    root.appendChild(el("p", { text: L.learned.length + " codes learned; " + L.fallback.length + " fell back to the label-free score" +
      (L.fallback.length ? " (fewer than " + L.min_positives + " coded segments, or every coded segment has the code):" : ".") }));
    if (L.fallback.length) root.appendChild(el("ul", {}, L.fallback.map(function (f) { return el("li", { text: f.code + ": " + f.reason }); })));
    var c = L.curve;
    if (c && c.points.length) {
      root.appendChild(el("h4", { text: "Learning curve" }));
      root.appendChild(el("p", { cls: "muted", text: "Out-of-fold macro ROC AUC when each fold's model learns from only this many coded " + unit +
        " (evaluated on the coded " + unit + " it did not see), against the label-free " + L.prior + " score on the same segments. A curve still rising at the right says coding more should help." +
        (c.skipped.length ? " Sizes " + c.skipped.join(", ") + " were left out to keep the run fast." : "") }));
      root.appendChild(curveChart(c.points, L.prior));
      root.appendChild(el("div", { cls: "scroll" }, [table(["Coded " + unit + " learned from", "Macro ROC AUC (learned)", "Macro ROC AUC (" + L.prior + ")", "Micro F1 (learned)", "Micro F1 (" + L.prior + ")", "Codes"],
        c.points.map(function (p) { return [p.n_documents, fmt(p.macro_roc_auc, 3), fmt(p.prior_macro_roc_auc, 3), fmt(p.micro_f1, 3), fmt(p.prior_micro_f1, 3), p.n_codes]; }), "learning-curve")]));
    }
    if (L.suggestions) root.appendChild(el("p", { text: "suggestions.csv in the run folder lists " + L.suggestions + " uncoded segments whose coding would teach the model most." }));
  }
  function curveChart(points, prior) {
    var W = 420, H = 200, left = 44, right = 12, top = 10, bottom = 34;
    var vals = [];
    points.forEach(function (p) { [p.macro_roc_auc, p.prior_macro_roc_auc].forEach(function (v) { if (v !== null && v !== undefined) vals.push(v); }); });
    var lo = Math.min.apply(null, vals.concat([1])), hi = Math.max.apply(null, vals.concat([0]));
    lo = Math.max(0, Math.floor(lo * 50) / 50 - 0.02); hi = Math.min(1, Math.ceil(hi * 50) / 50 + 0.02);
    var n = points.length, xmax = Math.log2(points[n - 1].n_documents || 1) || 1;
    var x = function (p) { return left + (W - left - right) * (n === 1 ? 0.5 : Math.log2(p.n_documents) / xmax); };
    var y = function (v) { return top + (H - top - bottom) * (1 - (v - lo) / Math.max(hi - lo, 1e-6)); };
    var chart = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, role: "img", cls: "curve-chart", "aria-label": "Learning curve: macro ROC AUC against coded documents" });
    chart.appendChild(svg("title", { text: "Learning curve: macro ROC AUC against coded documents" }));
    [lo, (lo + hi) / 2, hi].forEach(function (v) {
      chart.appendChild(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: "#ddd" }));
      chart.appendChild(svg("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10, text: v.toFixed(2) }));
    });
    points.forEach(function (p) { chart.appendChild(svg("text", { x: x(p), y: H - bottom + 14, "text-anchor": "middle", "font-size": 10, text: String(p.n_documents) })); });
    chart.appendChild(svg("text", { x: (left + W - right) / 2, y: H - 4, "text-anchor": "middle", "font-size": 10, text: "coded documents learned from (log scale)" }));
    [["macro_roc_auc", PALETTE[0], "learned"], ["prior_macro_roc_auc", PALETTE[1], prior]].forEach(function (line) {
      var pts = points.filter(function (p) { return p[line[0]] !== null && p[line[0]] !== undefined; });
      if (!pts.length) return;
      chart.appendChild(svg("polyline", { fill: "none", stroke: line[1], "stroke-width": 2, points: pts.map(function (p) { return x(p) + "," + y(p[line[0]]); }).join(" ") }));
      pts.forEach(function (p) {
        var dot = svg("circle", { cx: x(p), cy: y(p[line[0]]), r: 3, fill: line[1] });
        dot.appendChild(svg("title", { text: line[2] + ", " + p.n_documents + ": " + fmt(p[line[0]], 3) }));
        chart.appendChild(dot);
      });
    });
    var box = el("div", { cls: "curve" }, [chart]);
    box.appendChild(el("p", { cls: "legend" }, [["learned", PALETTE[0]], [prior, PALETTE[1]]].map(function (k) {
      return el("span", { cls: "key" }, [el("span", { cls: "swatch", style: "background:" + k[1] }), k[0]]);
    })));
    return box;
  }
  /* value columns, and "ci" columns with the 95% interval of the figure before them */
  var AGREEMENT_COLS = [["macro_roc_auc", "Macro ROC AUC"], ["ci", "95% interval", "macro_roc_auc"], ["length_floor_auc", "Length floor"], ["macro_f1", "Macro F1"], ["micro_f1_at_prevalence", "Micro F1"], ["top1_macro_f1", "Top-1 macro F1"], ["kappa", "Kappa"], ["ci", "95% interval", "kappa"], ["macro_krippendorff_alpha", "Alpha"], ["ci", "95% interval", "macro_krippendorff_alpha"], ["n_codes", "Codes"], ["n_segments", "Segments"]];
  function agreementCell(f, col) {
    if (col[0] !== "ci") { var v = f[col[0]]; return v === null || v === undefined ? "-" : String(v); }
    var lo = f.ci_low ? f.ci_low[col[2]] : null, hi = f.ci_high ? f.ci_high[col[2]] : null;
    return lo === null || lo === undefined || hi === null || hi === undefined ? "-" : lo + "–" + hi;
  }
  function agreementTable(methods, cls) {
    var head = el("tr", {}, [el("th", { text: "Method" })].concat(AGREEMENT_COLS.map(function (c) { return el("th", { text: c[1] }); })));
    var rows = Object.keys(methods).map(function (n) {
      var f = methods[n];
      return el("tr", {}, [el("th", { scope: "row", text: n })].concat(AGREEMENT_COLS.map(function (c) {
        return el("td", c[0] === "ci" ? { cls: "ci", text: agreementCell(f, c) } : { text: agreementCell(f, c) }); })));
    });
    return el("div", { cls: "scroll" }, [el("table", { cls: cls }, [head].concat(rows))]);
  }
  function codeTerms(c) {
    var code = CODES[c];
    return code ? code.keywords.map(function (x) { return x.toLowerCase().replace(/ /g, "_"); }) : [];
  }
  function showCell(k, j) {
    var m = model(), a = m.alignment, t = m.topics[k], c = a.codes[j];
    var root = clear(document.getElementById("cell-detail"));
    root.appendChild(el("h3", { text: topicName(t) + " × " + c + " (similarity " + a.similarity[k][j].toFixed(3) + ")" }));
    root.appendChild(el("p", { cls: "muted", text: codeName(c) }));
    var ids = a.cells[k + "," + j] || [];
    if (!ids.length) root.appendChild(el("p", { cls: "muted", text: "No segment carries both this topic and this code's seed terms." }));
    else root.appendChild(el("p", { cls: "muted", text: "Segments weighted highest by this topic and this code's seed terms together." }));
    ids.forEach(function (id) { root.appendChild(quote(id, highlightTerms(t).concat(codeTerms(c)))); });
    root.scrollIntoView({ block: "nearest" });
  }
  function showCode(c) {
    var root = clear(document.getElementById("cell-detail"));
    var code = CODES[c], p = presenceOf(c);
    root.setAttribute("data-code", c);
    root.appendChild(el("h3", { text: "Code " + c + (code ? ": " + code.name : "") }));
    var path = [], up = code;
    while (up && up.parent && CODES[up.parent] && path.length < 50) { up = CODES[up.parent]; path.unshift(up.name); }
    if (path.length) root.appendChild(el("p", { cls: "muted small", text: "In " + path.join(" \u203a ") }));
    if (code && code.definition) root.appendChild(el("p", { cls: "muted", text: code.definition }));
    if (p) root.appendChild(el("p", {}, [badge(p.presence), " " + p.reason]));
    var structure = DATA.models.filter(function (mm) { return mm.alignment && mm.alignment.status[c]; }).map(function (mm) {
      var a = mm.alignment, i = modelIndex(mm.name), st = a.status[c];
      var topics = (a.topics[c] || []).map(function (k) { return link(mm.topics[k].display, function () { showTopic(i, k); }); });
      var parts = [el("strong", { text: mm.name + ": " }), badge(st)];
      if (topics.length) { parts.push(MATCHED.indexOf(st) >= 0 ? " topics " : " most of its evidence in "); topics.forEach(function (t, n) { if (n) parts.push(", "); parts.push(t); }); }
      if (a.unstable[c]) parts.push(" · unstable in the re-fits");
      if (a.with_codes[c]) parts.push(" · with " + a.with_codes[c].map(codeName).join(", "));
      return el("li", {}, parts);
    });
    if (structure.length) root.appendChild(el("ul", { cls: "codes" }, structure));
    root.appendChild(codeDecisionBox(c));
    var ids = p ? p.quotes : [];
    if (!ids.length) root.appendChild(el("p", { cls: "muted", text: "No evidence segment for this code." }));
    else root.appendChild(el("p", { cls: "muted", text: "Its strongest evidence segments, one per interview first:" }));
    ids.forEach(function (id) { root.appendChild(quote(id, codeTerms(c))); });
    root.scrollIntoView({ block: "nearest" });
  }
  /* accept or reject a code's verdict, and a memo on the code */
  function codeDecisionBox(c) {
    var d = decisions.codes[c] || {};
    var box = el("fieldset", { cls: "decision-box", id: "code-decision" }, [el("legend", { text: "Your decision on this code's verdict" })]);
    var buttons = ["accepted", "rejected"].map(function (value) {
      return el("button", { type: "button", cls: "choice", "data-decision": value, "aria-pressed": d.decision === value ? "true" : "false",
        text: value === "accepted" ? "Accept the verdict" : "Reject the verdict", onclick: function () {
          var now = decisions.codes[c] && decisions.codes[c].decision === value ? null : value;  // a second click takes it back
          setCodeDecision(c, "decision", now);
          buttons.forEach(function (b) { b.setAttribute("aria-pressed", b.getAttribute("data-decision") === now ? "true" : "false"); });
        } });
    });
    box.appendChild(el("div", { cls: "choices" }, buttons));
    var memo = el("textarea", { id: "code-memo", rows: "3", oninput: function () { setCodeDecision(c, "memo", trimmed(memo.value)); } });
    memo.value = d.memo || "";
    box.appendChild(el("label", { cls: "memo" }, ["Memo", memo]));
    return box;
  }
  function setCodeDecision(c, key, value) {
    setDecision(decisions.codes, c, key, value);
    var row = document.querySelector('#codebook-table tr[data-code="' + cssEscape(c) + '"]');
    if (row) row.replaceChild(decisionCell(c), row.lastChild);
  }

  /* ---------------------------------------------------------------- documents */
  function renderPrevalence() {
    var root = clear(document.getElementById("prevalence")), m = model(), fields = Object.keys(m.prevalence_by || {});
    var skipped = idMap(DATA.run.prevalence_skipped), min = DATA.run.prevalence_min_documents || 1;
    var why = Object.keys(skipped).map(function (f) { return f + " " + skipped[f]; });
    if (!fields.length) {
      root.appendChild(el("p", { id: "prevalence-none", cls: "muted", text: !DATA.documents.some(function (d) { return Object.keys(d.metadata).length; })
        ? "No topic prevalence by metadata: the documents have no metadata (corpus.metadata names a table with a row per document)."
        : "No topic prevalence by metadata: a field needs two values with at least " + min + " documents each. " + why.join("; ") + "." }));
      return;
    }
    if (fields.indexOf(state.field) < 0) state.field = fields[0];
    var pick = el("select", { id: "prevalence-field", onchange: function () { state.field = pick.value; renderPrevalence(); } },
      fields.map(function (f) { var o = el("option", { value: f, text: f }); if (f === state.field) o.selected = true; return o; }));
    root.appendChild(el("h2", { text: "Topic prevalence by metadata" }));
    root.appendChild(el("p", {}, [el("label", {}, ["Field ", pick]), el("span", { cls: "muted", text: "  Share of tokens per topic among the documents with each value; whiskers: 95% bootstrap interval (documents resampled)." })]));
    var p = m.prevalence_by[state.field], K = m.topics.length, L = p.levels.length;
    var left = Object.keys(idMap(p.left_out));
    var notes = (left.length ? ["Left out of " + state.field + ", fewer than " + min + " documents (an interval of one or two documents means nothing): " +
      left.map(function (v) { return v + " (" + p.left_out[v] + ")"; }).join(", ") + "."] : []).concat(why.length ? ["Not offered: " + why.join("; ") + "."] : []);
    if (notes.length) root.appendChild(el("p", { id: "prevalence-notes", cls: "muted small", text: notes.join(" ") }));
    var W = Math.max(900, K * (L * 9 + 14)), H = 260, left = 40, bottom = 40, top = 10;
    var groupW = (W - left) / K, barW = Math.max(3, (groupW - 10) / L);
    var max = 0; p.hi.forEach(function (row) { row.forEach(function (v) { max = Math.max(max, v); }); });
    max = Math.max(max, 0.01);
    var y = function (v) { return top + (H - top - bottom) * (1 - v / max); };
    var chart = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", cls: "prevalence-chart", "aria-label": "Topic prevalence by " + state.field });
    chart.appendChild(svg("title", { text: "Topic prevalence by " + state.field }));
    [0, 0.5, 1].forEach(function (f) {
      chart.appendChild(svg("line", { x1: left, x2: W, y1: y(f * max), y2: y(f * max), stroke: "#ddd" }));
      chart.appendChild(svg("text", { x: left - 4, y: y(f * max) + 4, "text-anchor": "end", "font-size": 10, text: (100 * f * max).toFixed(0) + "%" }));
    });
    for (var k = 0; k < K; k++) {
      var gx = left + k * groupW + 5;
      for (var l = 0; l < L; l++) {
        var x = gx + l * barW, v = p.mean[l][k];
        var rect = svg("rect", { x: x, y: y(v), width: Math.max(1, barW - 1), height: Math.max(0, y(0) - y(v)), fill: levelColor(l) });
        rect.appendChild(svg("title", { text: m.topics[k].display + " · " + p.levels[l] + ": " + pct(v) + " (" + pct(p.lo[l][k]) + "–" + pct(p.hi[l][k]) + ")" }));
        chart.appendChild(rect);
        chart.appendChild(svg("line", { x1: x + barW / 2, x2: x + barW / 2, y1: y(p.lo[l][k]), y2: y(p.hi[l][k]), stroke: "#333", "stroke-width": 1 }));
      }
      chart.appendChild(svg("text", { x: gx + (groupW - 10) / 2, y: H - bottom + 14, "text-anchor": "middle", "font-size": 11, text: m.topics[k].display }));
    }
    root.appendChild(chart);
    root.appendChild(el("p", { cls: "legend" }, p.levels.map(function (lv, l) {
      return el("span", { cls: "key" }, [el("span", { cls: "swatch", style: "background:" + levelColor(l) }), lv + " (" + p.n_docs[l] + ")"]);
    })));
    var rows = m.topics.map(function (t, k) { return [t.display].concat(p.levels.map(function (_, l) { return pct(p.mean[l][k]) + " [" + pct(p.lo[l][k]) + ", " + pct(p.hi[l][k]) + "]"; })); });
    root.appendChild(el("details", {}, [el("summary", { text: "As a table" }), el("div", { cls: "scroll" }, [table(["Topic"].concat(p.levels), rows)])]));
  }
  function levelColor(l) { return l < PALETTE.length ? PALETTE[l] : "hsl(" + (l * 47) % 360 + ",45%,50%)"; }
  function renderDocList() {
    var list = clear(document.getElementById("doc-list"));
    var q = document.getElementById("doc-filter").value.trim().toLowerCase(), shown = 0, total = 0;
    DATA.documents.forEach(function (d) {
      var meta = Object.keys(d.metadata).map(function (k) { return d.metadata[k]; }).join(" · ");
      if (q && (d.id + " " + meta).toLowerCase().indexOf(q) < 0) return;
      total++;
      if (shown >= 500) return;
      shown++;
      list.appendChild(activate(el("li", { "data-doc": d.id, cls: d.id === state.doc ? "selected" : "", onclick: function () { showDocument(d.id); } },
        [el("strong", { text: d.id }), meta ? el("small", { text: meta }) : el("small", { text: d.segments.length + " segments in this page" })])));
    });
    if (total > shown) list.appendChild(el("li", { cls: "muted", text: (total - shown) + " more: type in the filter" }));
  }
  function docPlaceholder() {
    clear(document.getElementById("doc-detail")).appendChild(el("p", { cls: "muted", text: "Pick a document on the left to read its transcript, its segments coloured by their main topic." }));
  }
  function showDocument(docId, segId, stay) {
    state.doc = docId;
    if (!stay) {
      if (stale.documents) { stale.documents = false; renderPrevalence(); }
      showView("documents");
    }
    renderDocList();
    var d = DATA.documents.filter(function (x) { return x.id === docId; })[0];
    var m = model(), root = clear(document.getElementById("doc-detail"));
    if (!d) { docPlaceholder(); return; }
    root.appendChild(el("h2", { text: docId }));
    var metaKeys = Object.keys(d.metadata);
    if (metaKeys.length) root.appendChild(el("p", { cls: "muted", text: metaKeys.map(function (k) { return k + ": " + d.metadata[k]; }).join(" · ") }));
    var profile = m.doc_profile[docId];
    if (profile) {
      root.appendChild(el("h3", { text: "Topic profile (" + m.name + ")" }));
      profile.forEach(function (p, k) {
        if (p < 2) return;
        root.appendChild(el("div", { cls: "bar" }, [link(topicName(m.topics[k]), function () { showTopic(state.model, k); }),
          el("span", { cls: "track" }, [el("span", { cls: "fill", style: "width:" + p + "%;background:" + color(k) })]), el("span", { cls: "muted", text: p + "%" })]));
      });
    }
    root.appendChild(el("h3", { text: "Transcript (segments coloured by their main topic)" }));
    if (!DATA.run.embedded_all_segments) root.appendChild(el("p", { cls: "muted", text: "Only quoted segments are in this page (report.transcripts); segments.csv in the run folder has them all." }));
    var target = null;
    d.segments.forEach(function (id) {
      var s = DATA.segments[id], k = m.dominant[id];
      var div = el("div", { cls: "seg" + (id === segId ? " target" : ""), id: "seg-" + id, title: k === undefined ? "not modelled" : topicName(m.topics[k]),
        style: "border-left-color:" + (k === undefined ? "transparent" : color(k)) });
      var first = true;
      questionsAndAnswers(div, s, function (t) {
        var part = document.createDocumentFragment();
        if (first) part.appendChild(el("strong", { text: (s.speaker || "") + (s.speaker ? ": " : "") }));
        first = false;
        part.appendChild(document.createTextNode(t));
        return part;
      });
      if (k !== undefined) div.appendChild(el("span", { cls: "segtopic", text: " " + m.topics[k].display }));
      root.appendChild(div);
      if (id === segId) target = div;
    });
    if (target) target.scrollIntoView({ block: "center" });
  }

  /* ---------------------------------------------------------------- intertopic map */
  function renderLdavis() {
    var host = document.getElementById("ldavis-host"), i = state.model;
    Object.keys(state.ldavis).forEach(function (key) { state.ldavis[key].style.display = Number(key) === i ? "" : "none"; });
    if (state.ldavis[i] || typeof LDAvis === "undefined") return;
    var div = el("div", { id: "ldavis-" + i, cls: "ldavis" });
    host.appendChild(div);
    state.ldavis[i] = div;
    new LDAvis("#ldavis-" + i, DATA.models[i].ldavis); // eslint-disable-line no-new
    separateLabels(div);
  }
  /* LDAvis writes each topic number at its bubble's centre, under the later bubbles, where close
     topics' numbers overlap. Here the numbers go on top (with a white halo, not catching the
     mouse), and overlapping ones are pushed apart, a thin line back to their bubble's centre. */
  function separateLabels(root) {
    var labels = Array.prototype.slice.call(root.querySelectorAll("text.txt"));
    if (!labels.length) return;
    var group = labels[0].parentNode;
    var items = labels.map(function (t) {
      group.appendChild(t);
      t.setAttribute("class", "txt separated");
      var b = t.getBBox();
      return { node: t, w: b.width + 2, h: b.height, x0: b.x + b.width / 2, y0: b.y + b.height / 2, x: b.x + b.width / 2, y: b.y + b.height / 2, dy: Number(t.getAttribute("y")) - (b.y + b.height / 2) };
    });
    for (var round = 0; round < 200; round++) {
      var moved = false;
      for (var i = 0; i < items.length; i++) for (var j = i + 1; j < items.length; j++) {
        var a = items[i], b = items[j], ox = (a.w + b.w) / 2 - Math.abs(a.x - b.x), oy = (a.h + b.h) / 2 - Math.abs(a.y - b.y);
        if (ox <= 0 || oy <= 0) continue;
        moved = true;
        if (ox < oy) { var sx = (a.x < b.x || (a.x === b.x && i < j) ? -1 : 1) * (ox / 2 + 0.5); a.x += sx; b.x -= sx; }
        else { var sy = (a.y < b.y || (a.y === b.y && i < j) ? -1 : 1) * (oy / 2 + 0.5); a.y += sy; b.y -= sy; }
      }
      if (!moved) break;
    }
    items.forEach(function (it) {
      if (Math.abs(it.x - it.x0) + Math.abs(it.y - it.y0) < 1) return;
      it.node.setAttribute("x", it.x.toFixed(1));
      it.node.setAttribute("y", (it.y + it.dy).toFixed(1));
      group.insertBefore(svg("line", { cls: "label-leader", x1: it.x0, y1: it.y0, x2: it.x.toFixed(1), y2: it.y.toFixed(1), stroke: "#555", "stroke-width": 0.75 }), labels[0]);
    });
  }

  /* ---------------------------------------------------------------- search */
  function runSearch() {
    var q = document.getElementById("search-box").value.trim().toLowerCase();
    var root = clear(document.getElementById("search-results"));
    if (q.length < 2) return;
    var m = model(), qt = q.replace(/ /g, "_");
    var topics = m.topics.filter(function (t) { return t.terms.concat(t.relevant, t.exclusive).some(function (w) { return w.indexOf(qt) >= 0; }) || t.label.toLowerCase().indexOf(q) >= 0; });
    var codes = DATA.codes.filter(function (c) { return (c.id + " " + c.name + " " + c.definition + " " + c.keywords.join(" ")).toLowerCase().indexOf(q) >= 0; });
    var hits = Object.keys(DATA.segments).filter(function (id) { return DATA.segments[id].text.toLowerCase().indexOf(q) >= 0; });
    root.appendChild(el("p", { id: "search-summary", text: hits.length + " segments, " + topics.length + " topics, " + codes.length + " codes" +
      (DATA.run.embedded_all_segments ? "" : " (searching the " + DATA.run.segments_embedded + " quoted segments in this page)") }));
    if (topics.length) root.appendChild(el("p", {}, ["Topics: "].concat(topics.map(function (t) { return el("span", {}, [link(topicName(t), function () { showTopic(state.model, t.id); }), "  "]); }))));
    if (codes.length) root.appendChild(el("p", {}, ["Codes: "].concat(codes.map(function (c) {
      var a = link(c.name, function () { showView("codebook"); showCode(c.id); });
      a.setAttribute("title", c.id);
      return el("span", {}, [a, "  "]);
    }))));
    hits.slice(0, 100).forEach(function (id) { root.appendChild(quote(id, [qt])); });
    if (hits.length > 100) root.appendChild(el("p", { cls: "muted", text: (hits.length - 100) + " more segments: refine the search." }));
  }

  /* ---------------------------------------------------------------- wiring */
  var select = document.getElementById("model");
  DATA.models.forEach(function (m, i) {
    var rec = DATA.recommended && DATA.recommended.model === m.name;
    select.appendChild(el("option", { value: String(i), text: m.name + " (" + m.type + ", K=" + m.n_topics + ")" + (rec ? ", recommended" : "") }));
  });
  select.value = String(state.model);
  select.addEventListener("change", function () { selectModel(Number(select.value)); });
  loadStoredDecisions();
  renderDecisionCount();
  document.getElementById("download-decisions").addEventListener("click", downloadDecisions);
  var loader = document.getElementById("load-decisions");
  loader.addEventListener("change", function () { if (loader.files && loader.files[0]) loadDecisionsFile(loader.files[0]); loader.value = ""; });
  document.querySelectorAll(".tab").forEach(function (b) { b.addEventListener("click", function () { showView(b.getAttribute("data-view")); }); });
  document.getElementById("search-box").addEventListener("input", runSearch);
  document.getElementById("doc-filter").addEventListener("input", renderDocList);
  var slider = document.getElementById("lambda"), out = document.getElementById("lambda-value");
  slider.value = String(state.lambda); out.textContent = state.lambda.toFixed(2);
  slider.addEventListener("input", function () { state.lambda = Number(slider.value); out.textContent = state.lambda.toFixed(2); renderTopic(); });
  renderAll();
  document.body.setAttribute("data-ready", "1");
})();

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
  var CODES = Object.create(null);  /* id -> code, built once: the codebook views look codes up per code */
  DATA.codes.forEach(function (c) { if (!(c.id in CODES)) CODES[c.id] = c; });
  function codeById(id) { return CODES[id]; }
  if (DATA.verdicts) DATA.verdicts.presence = idMap(DATA.verdicts.presence);
  if (DATA.agreement) {
    DATA.agreement.methods = idMap(DATA.agreement.methods);
    DATA.agreement.per_code = mapValues(DATA.agreement.per_code, idMap);
  }
  // Okabe-Ito, colour-blind safe
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  var SVGNS = "http://www.w3.org/2000/svg";
  var state = { model: 0, topic: 0, doc: null, lambda: DATA.run.relevance_lambda, field: null, ldavis: Object.create(null) };

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
  function topicName(t) { return t.display + " " + t.label; }
  function color(k) { return PALETTE[k % PALETTE.length]; }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  function fmt(x, d) { return x === null || x === undefined ? "–" : Number(x).toFixed(d); }
  var PRESENCE = ["present", "uncertain", "absent"];
  var STATUSES = ["own_topic", "split", "merged", "present_without_topic", "absent"];
  var MATCHED = ["own_topic", "split", "merged"];
  function statusName(s) { return s.replace(/_/g, " "); }
  /* what the verdicts say of a topic: the codes it carries, or emergent, or procedural */
  function topicVerdict(t, long) {
    if (t.status === "carries_codes") return (long ? "carries " : "codes: ") + t.codes.join(", ");
    if (t.status === "procedural") return long ? "procedural (interview routine, not a theme)" : "procedural";
    if (t.status === "emergent") return long ? "emergent (no code's evidence explains it)" : "emergent";
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

  /* A segment's text with each interviewer question above its answer: `q` holds the questions
     joined by a blank line, `qa` (when several) the line of `text` where each answer starts. */
  function questionsAndAnswers(parent, s, render) {
    var qs = s.q ? s.q.split("\n\n") : [], lines = s.text.split("\n");
    var starts = s.qa && s.qa.length === qs.length ? s.qa : [0];
    if (starts.length < 2) qs = qs.length ? [qs.join("\n")] : [];
    if (!qs.length) { parent.appendChild(render(s.text)); return; }
    qs.forEach(function (q, i) {
      parent.appendChild(el("span", { cls: "question", text: "Q: " + q }));
      parent.appendChild(render(lines.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : lines.length).join("\n")));
    });
  }

  function quote(segId, terms) {
    var s = DATA.segments[segId];
    if (!s) return el("div", { cls: "quote muted", text: segId + " (not embedded)" });
    var body = el("blockquote", { cls: "quote", "data-segment": segId });
    questionsAndAnswers(body, s, function (t) { return highlighted(t, terms); });
    body.appendChild(el("div", { cls: "meta" }, [s.doc + " · " + (s.speaker || "unknown speaker") + " · " + segId + " · ",
      link("open in transcript", function () { showDocument(s.doc, segId); })]));
    return body;
  }

  function showView(name) {
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

  /* ---------------------------------------------------------------- overview */
  function table(head, rows, cls) {
    return el("table", cls ? { cls: cls } : {}, [el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col", text: h }); }))]),
      el("tbody", {}, rows.map(function (r) { return el("tr", {}, r.map(function (v) { return typeof v === "object" && v !== null ? el("td", {}, [v]) : el("td", { text: String(v) }); })); }))]);
  }
  function renderOverview() {
    var r = DATA.run, root = clear(document.getElementById("view-overview"));
    root.appendChild(el("h2", { text: "Run " + r.name }));
    var facts = [["Documents", r.documents], ["Segments", r.segments], ["Segments modelled", r.segments_modelled],
      ["Vocabulary", r.vocabulary], ["Interviewer(s)", (r.interviewers.join(", ") || "none") + " (" + r.interviewer_method + ")"],
      ["Seed", r.seed], ["topicbook", r.version],
      ["Transcripts in this page", r.embedded_all_segments ? "all segments" : r.segments_embedded + " quoted segments (report.transcripts)"]];
    root.appendChild(el("table", {}, facts.map(function (f) { return el("tr", {}, [el("th", { scope: "row", text: f[0] }), el("td", { text: String(f[1]) })]); })));
    root.appendChild(el("h3", { text: "Tokens after each preprocessing step" }));
    root.appendChild(el("table", {}, Object.keys(r.tokens).map(function (k) { return el("tr", {}, [el("th", { scope: "row", text: k }), el("td", { text: String(r.tokens[k]) })]); })));
    var v = DATA.verdicts;
    if (v) {
      root.appendChild(el("h3", { text: "Codes in the data" }));
      root.appendChild(el("p", { id: "presence-counts", text: "Presence of the " + Object.keys(v.presence).length + " codes, from the segments against a null of random-word codes: " +
        PRESENCE.map(function (p) { return v.counts[p] + " " + p; }).join(", ") + "." }));
    }
    root.appendChild(el("h3", { text: "Models" }));
    var rows = DATA.models.map(function (m) {
      var a = m.alignment, row = [m.name, m.type, m.n_topics, m.coherence.c_v, m.coherence.c_npmi, m.coherence.u_mass, m.diversity, fmt(m.stability, 2)];
      return row.concat(STATUSES.map(function (s) { return a ? a.counts[s] : "–"; }))
        .concat(["emergent", "procedural"].map(function (s) { return a ? a.topic_counts[s] : "–"; }));
    });
    root.appendChild(table(["Model", "Type", "K", "c_v", "c_npmi", "u_mass", "Diversity", "Stability"]
      .concat(STATUSES.map(statusName)).concat(["Emergent topics", "Procedural topics"]), rows));
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
  function modelIndex(name) { for (var i = 0; i < DATA.models.length; i++) if (DATA.models[i].name === name) return i; return -1; }
  function renderComparison(c) {
    var ia = modelIndex(c.a), ib = modelIndex(c.b), A = DATA.models[ia], B = DATA.models[ib];
    var box = el("div", { cls: "comparison" }, [el("h3", { text: c.a + " vs " + c.b })]);
    function codesOf(m) { var a = m.alignment; return a ? Object.keys(a.status).filter(function (c) { return MATCHED.indexOf(a.status[c]) >= 0; }) : []; }
    var ca = codesOf(A), cb = codesOf(B);
    var both = ca.filter(function (x) { return cb.indexOf(x) >= 0; });
    box.appendChild(table(["", c.a, c.b], [
      ["Coherence c_v", A.coherence.c_v, B.coherence.c_v], ["Diversity", A.diversity, B.diversity],
      ["Stability", fmt(A.stability, 2), fmt(B.stability, 2)],
      ["Codes with a topic (own topic, split, merged)", ca.join(", ") || "none", cb.join(", ") || "none"],
      ["In both", both.join(", ") || "none", ""]]));
    box.appendChild(el("p", { cls: "muted", text: "Corresponding topics: one-to-one pairing by the cosine of their term distributions (Hungarian); pairs below 0.3 barely share terms." }));
    var pairs = c.pairs.slice().sort(function (x, y) { return y[2] - x[2]; });
    box.appendChild(table([c.a + " topic", "codes", c.b + " topic", "codes", "cosine"], pairs.map(function (p) {
      var ta = A.topics[p[0]], tb = B.topics[p[1]];
      return [link(topicName(ta), function () { showTopic(ia, p[0]); }), topicVerdict(ta),
        link(topicName(tb), function () { showTopic(ib, p[1]); }), topicVerdict(tb), p[2].toFixed(2)];
    }), "pairs"));
    return box;
  }

  /* ---------------------------------------------------------------- topics */
  function renderTopicList() {
    var list = clear(document.getElementById("topic-list"));
    model().topics.forEach(function (t, i) {
      var info = pct(t.prevalence) + " of tokens" + (t.stability !== null && t.stability !== undefined ? " · stability " + fmt(t.stability, 2) : "") +
        (t.status ? " · " + topicVerdict(t) : "") + (t.seeded ? " · seeded: " + t.seeded : "");
      list.appendChild(activate(el("li", { "data-topic": String(i), cls: i === state.topic ? "selected" : "", "aria-current": i === state.topic ? "true" : "false",
        onclick: function () { state.topic = i; renderTopicList(); renderTopic(); document.querySelector('#topic-list li[data-topic="' + i + '"]').focus(); } },
        [el("strong", { text: topicName(t) }), el("small", { text: info })])));
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
    root.appendChild(el("h2", { text: topicName(t) }));
    root.appendChild(el("p", { cls: "muted", text: "Prevalence " + pct(t.prevalence) + " · coherence c_v " + t.coherence +
      (t.stability !== null && t.stability !== undefined ? " · stability " + fmt(t.stability, 2) : "") +
      (t.status ? " · " + topicVerdict(t, true) : "") + (t.seeded ? " · seeded by " + t.seeded : "") }));
    root.appendChild(el("h3", { text: "Top terms (λ = " + state.lambda.toFixed(2) + "; bar: p(w|topic), ×: lift over the corpus)" }));
    root.appendChild(el("div", { id: "topic-terms" }));
    renderTerms();
    root.appendChild(el("p", { cls: "muted", text: "Exclusive terms (FREX): " + t.exclusive.join(", ") }));
    root.appendChild(el("h3", { text: "Representative quotes" }));
    var box = el("div", { id: "topic-quotes" });
    if (!t.quotes.length) box.appendChild(el("p", { cls: "muted", text: "No quotes (report.quotes_per_topic is 0)." }));
    t.quotes.forEach(function (id) { box.appendChild(quote(id, t.terms)); });
    root.appendChild(box);
  }

  /* ---------------------------------------------------------------- codebook map */
  function badge(s) { return el("span", { cls: "badge " + s, text: statusName(s) }); }
  function presenceOf(c) { return DATA.verdicts ? DATA.verdicts.presence[c] : null; }
  function isMatch(a, c, k) { return MATCHED.indexOf(a.status[c]) >= 0 && (a.topics[c] || []).indexOf(k) >= 0; }
  function renderHeatmap() {
    var root = clear(document.getElementById("heatmap"));
    clear(document.getElementById("cell-detail"));
    var m = model(), a = m.alignment;
    if (!a) { root.appendChild(el("p", { text: "No codebook in this run." })); return; }
    root.appendChild(el("p", { cls: "muted", text: "Correlation of each topic (rows) with each code's evidence (columns); outlined cells are the topics that carry the code (above what random-word codes reach). Click a cell (or focus it and press Enter) for its quotes." }));
    root.appendChild(el("p", { cls: "legend" }, ["Presence: "].concat(PRESENCE.map(badge)).concat([" Status in " + m.name + ": "]).concat(STATUSES.map(badge))
      .concat([" Topics: "]).concat(["carries_codes", "emergent", "procedural"].map(badge))));
    var codes = a.codes;
    var head = el("tr", {}, [el("th", { text: "Topic" })].concat(codes.map(function (c) {
      var p = presenceOf(c);
      return el("th", { scope: "col" }, [el("div", { text: c }), el("div", {}, (p ? [badge(p.presence)] : []).concat([badge(a.status[c])]))]);
    })).concat([el("th", { text: "Status" })]));
    var rows = m.topics.map(function (t, k) {
      var cells = codes.map(function (c, j) {
        var v = a.similarity[k][j], shade = Math.max(0, Math.min(1, v / 0.6)), hit = isMatch(a, c, k);
        return activate(el("td", { cls: "cell" + (hit ? " match" : ""), "data-cell": k + "," + j, title: t.display + " × " + c + (hit ? " (carries the code)" : ""),
          "aria-label": t.display + " × " + c + ": correlation " + v.toFixed(2) + (hit ? ", carries the code" : ""),
          style: "background: rgba(0,114,178," + shade.toFixed(2) + "); color:" + (shade > 0.55 ? "#fff" : "#000"), text: v.toFixed(2),
          onclick: function () { showCell(k, j); } }));
      });
      return el("tr", {}, [el("th", { scope: "row" }, [link(topicName(t), function () { showTopic(state.model, k); })])].concat(cells).concat([el("td", {}, t.status ? [badge(t.status)] : [])]));
    });
    root.appendChild(el("div", { cls: "scroll" }, [el("table", { cls: "heat" }, [head].concat(rows))]));
    root.appendChild(el("h3", { text: "Codes" }));
    var summary = el("ul", { cls: "codes" });
    DATA.codes.forEach(function (code) {
      var c = code.id, p = presenceOf(c), st = a.status[c];
      var where = (a.topics[c] || []).map(function (k) { return m.topics[k].display; }).join(", ");
      var text = " " + code.name + (p ? " · " + p.support + " evidence segments in " + p.documents + " documents (random-word codes: " + p.expected_false + ")" : "") +
        (where ? (MATCHED.indexOf(st) >= 0 ? " · topics " : " · most of its evidence in ") + where : "") + (a.unstable[c] ? " · unstable in the re-fits" : "");
      summary.appendChild(el("li", {}, [link(c, function () { showCode(c); }), " ", el("span", {}, (p ? [badge(p.presence)] : []).concat(st ? [badge(st)] : [])), text]));
    });
    root.appendChild(summary);
    renderAgreement(root);
    renderVerdictScores(root);
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
    var code = codeById(c);
    return code ? code.keywords.map(function (x) { return x.toLowerCase().replace(/ /g, "_"); }) : [];
  }
  function showCell(k, j) {
    var m = model(), a = m.alignment, t = m.topics[k], c = a.codes[j];
    var root = clear(document.getElementById("cell-detail"));
    root.appendChild(el("h3", { text: t.display + " " + t.label + " × " + c + " (similarity " + a.similarity[k][j].toFixed(3) + ")" }));
    var ids = a.cells[k + "," + j] || [];
    if (!ids.length) root.appendChild(el("p", { cls: "muted", text: "No segment carries both this topic and this code's seed terms." }));
    else root.appendChild(el("p", { cls: "muted", text: "Segments weighted highest by this topic and this code's seed terms together." }));
    ids.forEach(function (id) { root.appendChild(quote(id, t.terms.concat(codeTerms(c)))); });
    root.scrollIntoView({ block: "nearest" });
  }
  function showCode(c) {
    var root = clear(document.getElementById("cell-detail"));
    var code = codeById(c), p = presenceOf(c);
    root.appendChild(el("h3", { text: "Code " + c + (code ? ": " + code.name : "") }));
    if (code && code.definition) root.appendChild(el("p", { cls: "muted", text: code.definition }));
    if (p) root.appendChild(el("p", {}, [badge(p.presence), " " + p.reason]));
    var ids = p ? p.quotes : [];
    if (!ids.length) root.appendChild(el("p", { cls: "muted", text: "No evidence segment for this code." }));
    else root.appendChild(el("p", { cls: "muted", text: "Its strongest evidence segments, one per interview first:" }));
    ids.forEach(function (id) { root.appendChild(quote(id, codeTerms(c))); });
    root.scrollIntoView({ block: "nearest" });
  }

  /* ---------------------------------------------------------------- documents */
  function renderPrevalence() {
    var root = clear(document.getElementById("prevalence")), m = model(), fields = Object.keys(m.prevalence_by || {});
    if (!fields.length) return;
    if (fields.indexOf(state.field) < 0) state.field = fields[0];
    var pick = el("select", { id: "prevalence-field", onchange: function () { state.field = pick.value; renderPrevalence(); } },
      fields.map(function (f) { var o = el("option", { value: f, text: f }); if (f === state.field) o.selected = true; return o; }));
    root.appendChild(el("h2", { text: "Topic prevalence by metadata" }));
    root.appendChild(el("p", {}, [el("label", {}, ["Field ", pick]), el("span", { cls: "muted", text: "  Share of tokens per topic among the documents with each value; whiskers: 95% bootstrap interval (documents resampled)." })]));
    var p = m.prevalence_by[state.field], K = m.topics.length, L = p.levels.length;
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
        [el("strong", { text: d.id }), el("small", { text: meta })])));
    });
    if (total > shown) list.appendChild(el("li", { cls: "muted", text: (total - shown) + " more: type in the filter" }));
  }
  function showDocument(docId, segId, stay) {
    state.doc = docId;
    if (!stay) showView("documents");
    renderDocList();
    var d = DATA.documents.filter(function (x) { return x.id === docId; })[0];
    var m = model(), root = clear(document.getElementById("doc-detail"));
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
      return el("span", {}, [link(c.id, function () { showView("codebook"); if (model().alignment) showCode(c.id); }), "  "]);
    }))));
    hits.slice(0, 100).forEach(function (id) { root.appendChild(quote(id, [qt])); });
    if (hits.length > 100) root.appendChild(el("p", { cls: "muted", text: (hits.length - 100) + " more segments: refine the search." }));
  }

  /* ---------------------------------------------------------------- wiring */
  var select = document.getElementById("model");
  DATA.models.forEach(function (m, i) { select.appendChild(el("option", { value: String(i), text: m.name + " (" + m.type + ", K=" + m.n_topics + ")" })); });
  select.addEventListener("change", function () {
    state.model = Number(select.value); state.topic = 0; renderAll();
    if (document.getElementById("view-map").classList.contains("active")) renderLdavis();
  });
  document.querySelectorAll(".tab").forEach(function (b) { b.addEventListener("click", function () { showView(b.getAttribute("data-view")); }); });
  document.getElementById("search-box").addEventListener("input", runSearch);
  document.getElementById("doc-filter").addEventListener("input", renderDocList);
  var slider = document.getElementById("lambda"), out = document.getElementById("lambda-value");
  slider.value = String(state.lambda); out.textContent = state.lambda.toFixed(2);
  slider.addEventListener("input", function () { state.lambda = Number(slider.value); out.textContent = state.lambda.toFixed(2); renderTopic(); });
  function renderAll() {
    renderOverview(); renderTopicList(); renderTopic(); renderHeatmap(); renderPrevalence(); renderDocList();
    if (state.doc) showDocument(state.doc, null, true); else clear(document.getElementById("doc-detail"));
    runSearch();
  }
  renderAll();
  document.body.setAttribute("data-ready", "1");
})();

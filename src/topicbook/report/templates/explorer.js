/* topicbook explorer: renders the embedded JSON with DOM nodes and textContent only. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("topicbook-data").textContent);
  // Okabe-Ito, colour-blind safe
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  var state = { model: 0, topic: 0, doc: null };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "cls") node.className = attrs[k];
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
        else node.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function model() { return DATA.models[state.model]; }
  function topicName(t) { return t.display + " " + t.label; }
  function color(k) { return PALETTE[k % PALETTE.length]; }
  function activate(li) { li.setAttribute("tabindex", "0"); li.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); li.click(); } }); return li; }

  /* text with the given terms highlighted (terms may be phrases joined by "_") */
  function highlighted(text, terms) {
    var frag = document.createDocumentFragment();
    var words = [];
    (terms || []).forEach(function (t) { t.split("_").forEach(function (w) { if (w.length > 2) words.push(w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")); }); });
    if (!words.length) { frag.appendChild(document.createTextNode(text)); return frag; }
    var re = new RegExp("\\b(" + words.join("|") + ")\\w*", "gi");
    var last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      frag.appendChild(el("mark", { text: m[0] }));
      last = m.index + m[0].length;
    }
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function quote(segId, terms) {
    var s = DATA.segments[segId];
    if (!s) return el("div", { cls: "quote muted", text: segId + " (not embedded)" });
    var body = el("div", { cls: "quote", "data-segment": segId });
    if (s.q) body.appendChild(el("span", { cls: "question", text: "Q: " + s.q }));
    body.appendChild(highlighted(s.text, terms));
    var link = el("a", { href: "#", text: "open in transcript", onclick: function (e) { e.preventDefault(); showDocument(s.doc, segId); } });
    body.appendChild(el("div", { cls: "meta" }, [s.doc + " · " + (s.speaker || "unknown speaker") + " · " + segId + " · ", link]));
    return body;
  }

  function showView(name) {
    document.querySelectorAll(".view").forEach(function (v) { v.classList.toggle("active", v.id === "view-" + name); });
    document.querySelectorAll(".tab").forEach(function (b) { b.classList.toggle("active", b.getAttribute("data-view") === name); });
  }

  /* ---------------------------------------------------------------- overview */
  function renderOverview() {
    var r = DATA.run, root = clear(document.getElementById("view-overview"));
    root.appendChild(el("h2", { text: "Run " + r.name }));
    var facts = [["Documents", r.documents], ["Segments", r.segments], ["Segments modelled", r.segments_modelled],
      ["Vocabulary", r.vocabulary], ["Interviewer(s)", (r.interviewers.join(", ") || "none") + " (" + r.interviewer_method + ")"],
      ["Seed", r.seed], ["topicbook", r.version]];
    root.appendChild(el("table", {}, facts.map(function (f) { return el("tr", {}, [el("th", { text: f[0] }), el("td", { text: String(f[1]) })]); })));
    root.appendChild(el("h3", { text: "Tokens after each preprocessing step" }));
    root.appendChild(el("table", {}, Object.keys(r.tokens).map(function (k) { return el("tr", {}, [el("th", { text: k }), el("td", { text: String(r.tokens[k]) })]); })));
    root.appendChild(el("h3", { text: "Models" }));
    var head = el("tr", {}, ["Model", "Type", "K", "c_v", "c_npmi", "u_mass", "Diversity", "Matched codes", "Emergent topics"].map(function (h) { return el("th", { text: h }); }));
    var rows = DATA.models.map(function (m) {
      var a = m.alignment;
      return el("tr", {}, [m.name, m.type, m.n_topics, m.coherence.c_v, m.coherence.c_npmi, m.coherence.u_mass, m.diversity,
        a ? Object.keys(a.matches).length + " / " + a.codes.length : "-", a ? a.emergent.length : "-"].map(function (v) { return el("td", { text: String(v) }); }));
    });
    root.appendChild(el("table", {}, [head].concat(rows)));
    if (r.warnings.length) {
      root.appendChild(el("h3", { text: "Warnings" }));
      root.appendChild(el("ul", {}, r.warnings.map(function (w) { return el("li", { cls: "warn", text: w }); })));
    }
  }

  /* ---------------------------------------------------------------- topics */
  function renderTopicList() {
    var list = clear(document.getElementById("topic-list"));
    model().topics.forEach(function (t, i) {
      var info = (100 * t.prevalence).toFixed(1) + "% of tokens" + (t.matched ? " · code: " + t.matched : "") + (t.seeded ? " · seeded: " + t.seeded : "");
      var li = activate(el("li", { "data-topic": String(i), cls: i === state.topic ? "selected" : "", onclick: function () { state.topic = i; renderTopicList(); renderTopic(); } },
        [el("strong", { text: topicName(t) }), el("small", { text: info })]));
      list.appendChild(li);
    });
  }
  function renderTopic() {
    var t = model().topics[state.topic], root = clear(document.getElementById("topic-detail"));
    root.appendChild(el("h2", { text: topicName(t) }));
    root.appendChild(el("p", { cls: "muted", text: "Prevalence " + (100 * t.prevalence).toFixed(1) + "% · coherence c_v " + t.coherence +
      (t.matched ? " · matched code " + t.matched : " · no matched code") + (t.seeded ? " · seeded by " + t.seeded : "") }));
    var max = Math.max.apply(null, t.weights);
    root.appendChild(el("h3", { text: "Top terms" }));
    t.terms.forEach(function (term, i) {
      root.appendChild(el("div", { cls: "bar" }, [el("span", { text: term }), el("span", {}, [el("span", { cls: "fill", style: "width:" + (100 * t.weights[i] / max).toFixed(1) + "%" })]), el("span", { cls: "muted", text: t.weights[i].toFixed(4) })]));
    });
    root.appendChild(el("p", { cls: "muted", text: "Most relevant (λ): " + t.relevant.join(", ") }));
    root.appendChild(el("h3", { text: "Representative quotes" }));
    var box = el("div", { id: "topic-quotes" });
    t.quotes.forEach(function (id) { box.appendChild(quote(id, t.terms)); });
    root.appendChild(box);
  }

  /* ---------------------------------------------------------------- codebook map */
  function renderHeatmap() {
    var root = clear(document.getElementById("heatmap"));
    clear(document.getElementById("cell-detail"));
    var m = model(), a = m.alignment;
    if (!a) { root.appendChild(el("p", { text: "No codebook in this run." })); return; }
    root.appendChild(el("p", { cls: "muted", text: "Similarity of each topic (rows) and code (columns); matches (threshold " + a.threshold + ") are outlined. Click a cell for its quotes." }));
    var codes = a.codes;
    var head = el("tr", {}, [el("th", { text: "Topic" })].concat(codes.map(function (c) {
      return el("th", { scope: "col" }, [el("div", { text: c }), el("div", {}, (a.code_status[c] || []).map(function (s) { return el("span", { cls: "badge " + s, text: s }); }))]);
    })).concat([el("th", { text: "Status" })]));
    var rows = m.topics.map(function (t, k) {
      var cells = codes.map(function (c, j) {
        var v = a.similarity[k][j], shade = Math.max(0, Math.min(1, v / 0.6));
        var isMatch = a.matches[c] === k;
        var td = el("td", { cls: "cell" + (isMatch ? " match" : ""), tabindex: "0", "data-cell": k + "," + j, title: t.display + " × " + c,
          style: "background: rgba(0,114,178," + shade.toFixed(2) + "); color:" + (shade > 0.55 ? "#fff" : "#000"), text: v.toFixed(2),
          onclick: function () { showCell(k, j); },
          onkeydown: function (e) { if (e.key === "Enter") showCell(k, j); } });
        return td;
      });
      var status = [];
      if (a.emergent.indexOf(k) >= 0) status.push("emergent");
      if (a.merges[String(k)]) status.push("merged");
      return el("tr", {}, [el("th", { scope: "row", text: topicName(t) })].concat(cells).concat([el("td", {}, status.map(function (s) { return el("span", { cls: "badge " + s, text: s }); }))]));
    });
    root.appendChild(el("table", { cls: "heat" }, [head].concat(rows)));
    var summary = el("ul", {});
    codes.forEach(function (c) {
      var st = a.code_status[c] || [];
      summary.appendChild(el("li", {}, [el("strong", { text: c }), " — " + (st.length ? st.join(", ") : "weak") + " · keyword hits in " + (a.keyword_hits[c] || 0) + " segments"]));
    });
    root.appendChild(el("h3", { text: "Codes" }));
    root.appendChild(summary);
  }
  function showCell(k, j) {
    var m = model(), a = m.alignment, t = m.topics[k], c = a.codes[j];
    var root = clear(document.getElementById("cell-detail"));
    root.appendChild(el("h3", { text: t.display + " " + t.label + " × " + c + " (similarity " + a.similarity[k][j].toFixed(3) + ")" }));
    var ids = a.cells[k + "," + j] || [];
    if (!ids.length) root.appendChild(el("p", { cls: "muted", text: "No segment carries both this topic and this code's seed terms." }));
    var code = DATA.codes.filter(function (x) { return x.id === c; })[0];
    var terms = t.terms.concat(code ? code.keywords.map(function (x) { return x.toLowerCase().replace(/ /g, "_"); }) : []);
    ids.forEach(function (id) { root.appendChild(quote(id, terms)); });
    root.scrollIntoView({ block: "nearest" });
  }

  /* ---------------------------------------------------------------- documents */
  function renderDocList() {
    var list = clear(document.getElementById("doc-list"));
    DATA.documents.forEach(function (d) {
      var meta = Object.keys(d.metadata).map(function (k) { return d.metadata[k]; }).join(" · ");
      list.appendChild(activate(el("li", { "data-doc": d.id, cls: d.id === state.doc ? "selected" : "", onclick: function () { showDocument(d.id); } },
        [el("strong", { text: d.id }), el("small", { text: meta })])));
    });
  }
  function showDocument(docId, segId, stay) {
    state.doc = docId;
    if (!stay) showView("documents");
    renderDocList();
    var d = DATA.documents.filter(function (x) { return x.id === docId; })[0];
    var m = model(), root = clear(document.getElementById("doc-detail"));
    root.appendChild(el("h2", { text: docId }));
    var profile = m.doc_profile[docId];
    if (profile) {
      root.appendChild(el("h3", { text: "Topic profile (" + m.name + ")" }));
      profile.forEach(function (p, k) {
        if (p < 0.02) return;
        root.appendChild(el("div", { cls: "bar" }, [el("span", { text: topicName(m.topics[k]) }), el("span", {}, [el("span", { cls: "fill", style: "width:" + (100 * p).toFixed(1) + "%;background:" + color(k) })]), el("span", { cls: "muted", text: (100 * p).toFixed(0) + "%" })]));
      });
    }
    root.appendChild(el("h3", { text: "Transcript (segments coloured by their main topic)" }));
    var target = null;
    d.segments.forEach(function (id) {
      var s = DATA.segments[id], k = m.dominant[id];
      var div = el("div", { cls: "seg" + (id === segId ? " target" : ""), id: "seg-" + id, title: k === undefined ? "not modelled" : topicName(m.topics[k]),
        style: "border-left-color:" + (k === undefined ? "transparent" : color(k)) });
      if (s.q) div.appendChild(el("span", { cls: "question", text: "Q: " + s.q + "\n" }));
      div.appendChild(el("strong", { text: (s.speaker || "") + (s.speaker ? ": " : "") }));
      div.appendChild(document.createTextNode(s.text));
      root.appendChild(div);
      if (id === segId) target = div;
    });
    if (target) target.scrollIntoView({ block: "center" });
  }

  /* ---------------------------------------------------------------- search */
  function runSearch() {
    var q = document.getElementById("search-box").value.trim().toLowerCase();
    var root = clear(document.getElementById("search-results"));
    if (q.length < 2) return;
    var m = model();
    var topics = m.topics.filter(function (t) { return t.terms.concat(t.relevant).some(function (w) { return w.replace(/_/g, " ").indexOf(q) >= 0; }); });
    var codes = DATA.codes.filter(function (c) { return (c.name + " " + c.definition + " " + c.keywords.join(" ")).toLowerCase().indexOf(q) >= 0; });
    var hits = Object.keys(DATA.segments).filter(function (id) { return DATA.segments[id].text.toLowerCase().indexOf(q) >= 0; });
    root.appendChild(el("p", { id: "search-summary", text: hits.length + " segments, " + topics.length + " topics, " + codes.length + " codes" }));
    if (topics.length) root.appendChild(el("p", {}, ["Topics: "].concat(topics.map(function (t) {
      return el("a", { href: "#", text: topicName(t) + "  ", onclick: function (e) { e.preventDefault(); state.topic = t.id; showView("topics"); renderTopicList(); renderTopic(); } });
    }))));
    if (codes.length) root.appendChild(el("p", { text: "Codes: " + codes.map(function (c) { return c.id; }).join(", ") }));
    hits.slice(0, 100).forEach(function (id) { root.appendChild(quote(id, [q.replace(/ /g, "_")])); });
  }

  /* ---------------------------------------------------------------- wiring */
  var select = document.getElementById("model");
  DATA.models.forEach(function (m, i) { select.appendChild(el("option", { value: String(i), text: m.name + " (" + m.type + ", K=" + m.n_topics + ")" })); });
  select.addEventListener("change", function () { state.model = Number(select.value); state.topic = 0; renderAll(); });
  document.querySelectorAll(".tab").forEach(function (b) { b.addEventListener("click", function () { showView(b.getAttribute("data-view")); }); });
  document.getElementById("search-box").addEventListener("input", runSearch);
  function renderAll() {
    renderOverview(); renderTopicList(); renderTopic(); renderHeatmap(); renderDocList();
    if (state.doc) showDocument(state.doc, null, true); else clear(document.getElementById("doc-detail"));
    runSearch();
  }
  renderAll();
  document.body.setAttribute("data-ready", "1");
})();

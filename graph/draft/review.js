// govkg review page: the report's sentences, every drafted fact highlighted on its sentence,
// accept / edit / reject per fact. All text from the data goes through textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("govkg-review-data").textContent);
  var decisions = {};  // key -> {file, section, id, action, values}
  var SECTION_NAMES = {site: "site 示范点", areas: "area 区域", organizations: "organization 组织",
                       mechanisms: "mechanism 机制", outcomes: "outcome 数字"};
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function key(f) { return f.file + "|" + f.section + "|" + f.id; }
  function label(f) {
    var x = f.fields || {};
    if (f.use) return "use: " + f.id;
    if (f.section === "outcomes") {
      var c = x.comparator === "more-than" ? "> " : x.comparator === "approximately" ? "≈ " : "";
      return c + x.value + " " + x.unit + " — " + (x.zh || "");
    }
    return (x.zh || f.id) + (x.en ? " / " + x.en : "");
  }
  document.getElementById("title").textContent = "govkg review — " + data.report;
  var nDraft = data.facts.filter(function (f) { return f.status === "draft"; }).length;
  document.getElementById("summary").textContent = data.facts.length + " entries, " + nDraft +
    " still drafts; " + data.sentences.length + " sentences. " +
    (data.token ? "Decisions are saved into the YAML by the review server." :
                  "This page is a file: export the decisions and apply them with govkg review DIR --apply decisions.json.");
  var save = document.getElementById("save");
  save.textContent = data.token ? "Save decisions" : "Export decisions (decisions.json)";
  var message = document.getElementById("message");

  // Highlights per sentence: [start, end, fact index].
  var marks = {}, factsOf = {};
  data.facts.forEach(function (f, n) {
    (f.evidence || []).forEach(function (w) {
      if (w.sentence === null || w.sentence === undefined) return;
      (factsOf[w.sentence] = factsOf[w.sentence] || []).push(n);
      if (w.start >= 0) (marks[w.sentence] = marks[w.sentence] || []).push([w.start, w.end, n]);
    });
  });
  var skippedOf = {};
  (data.skipped || []).forEach(function (s) { (skippedOf[s.sentence] = skippedOf[s.sentence] || []).push(s); });
  var report = document.getElementById("report");
  var sentenceEls = {};
  data.sentences.forEach(function (s) {
    var span = el("span", "sentence");
    span.id = "s" + s.i;
    span.dataset.i = s.i;
    if (factsOf[s.i]) span.classList.add("has-facts");
    var ranges = (marks[s.i] || []).map(function (m) { return {a: m[0], b: m[1], n: m[2], kind: "fact"}; });
    (skippedOf[s.i] || []).forEach(function (k) { ranges.push({a: k.start, b: k.end, reason: k.reason, kind: "skip"}); });
    ranges.sort(function (x, y) { return x.a - y.a || (y.b - y.a) - (x.b - x.a); });
    var pos = 0;
    ranges.forEach(function (r) {
      if (r.a < pos) return;  // overlapping: the fact is still listed on the right
      span.appendChild(document.createTextNode(s.text.slice(pos, r.a)));
      var m;
      if (r.kind === "fact") {
        m = el("mark", data.facts[r.n].section, s.text.slice(r.a, r.b));
        m.dataset.fact = r.n;
        m.title = SECTION_NAMES[data.facts[r.n].section];
        m.addEventListener("click", function () { select(r.n, true); });
      } else {
        m = el("span", "skipped", s.text.slice(r.a, r.b));
        m.title = "left out: " + r.reason;
      }
      span.appendChild(m);
      pos = r.b;
    });
    span.appendChild(document.createTextNode(s.text.slice(pos)));
    report.appendChild(span);
    sentenceEls[s.i] = span;
  });

  var cards = [];
  function select(n, scrollCard) {
    cards.forEach(function (c) { c.classList.remove("selected"); });
    cards[n].classList.add("selected");
    if (scrollCard) cards[n].scrollIntoView({block: "nearest"});
    var w = (data.facts[n].evidence || [])[0];
    if (w && sentenceEls[w.sentence]) {
      var s = sentenceEls[w.sentence];
      s.classList.add("flash");
      setTimeout(function () { s.classList.remove("flash"); }, 800);
      if (!scrollCard) s.scrollIntoView({block: "center"});
    }
  }
  function mark(card, f, d) {
    card.classList.remove("decided-accept", "decided-reject", "decided-edit");
    if (d) { card.classList.add("decided-" + d.action); decisions[key(f)] = d; }
    else delete decisions[key(f)];
    card.querySelector(".decision").textContent = d ? "decision: " + d.action : "";
    save.disabled = false;
  }
  var list = document.getElementById("facts");
  var lastGroup = null;
  data.facts.forEach(function (f, n) {
    var group = f.file;
    if (group !== lastGroup) { list.appendChild(el("h2", null, group)); lastGroup = group; }
    var card = el("div", "fact " + f.status);
    card.dataset.key = key(f);
    card.appendChild(el("div", "meta", SECTION_NAMES[f.section] + " · " + f.status +
      (f.confidence !== null && f.confidence !== undefined ? " · confidence " + f.confidence : "") + " · id " + f.id));
    card.appendChild(el("div", "label", label(f)));
    var x = f.fields || {};
    var extra = [];
    ["type", "kinds", "measure", "direction", "mechanism", "subject", "within"].forEach(function (k) {
      if (x[k] !== undefined) extra.push(k + ": " + (Array.isArray(x[k]) ? x[k].join(", ") : x[k]));
    });
    if (extra.length) card.appendChild(el("div", "meta", extra.join(" · ")));
    if (f.note) card.appendChild(el("div", "note", f.note));
    var buttons = el("div", "buttons");
    var edit = el("div", "edit");
    edit.hidden = true;
    function button(text, action) {
      var b = el("button", action, text);
      b.type = "button";
      b.addEventListener("click", function (ev) {
        ev.stopPropagation();
        if (action === "edit") { edit.hidden = !edit.hidden; return; }
        mark(card, f, {file: f.file, section: f.section, id: f.id, action: action});
      });
      buttons.appendChild(b);
    }
    button("Accept", "accept");
    if (f.editable && f.editable.length) button("Edit", "edit");
    if (f.section !== "site") button("Reject", "reject");
    card.appendChild(buttons);
    (f.editable || []).forEach(function (k) {
      var lab = el("label", null, k + " ");
      var input = el("input");
      input.name = k;
      var v = x[k];
      input.value = v === undefined ? "" : (Array.isArray(v) ? v.join(", ") : String(v));
      lab.appendChild(input);
      edit.appendChild(lab);
    });
    var apply = el("button", "apply-edit", "Use these values");
    apply.type = "button";
    apply.addEventListener("click", function (ev) {
      ev.stopPropagation();
      var values = {};
      edit.querySelectorAll("input").forEach(function (i) {
        var old = x[i.name];
        var oldText = old === undefined ? "" : (Array.isArray(old) ? old.join(", ") : String(old));
        if (i.value !== oldText) values[i.name] = i.value;
      });
      mark(card, f, {file: f.file, section: f.section, id: f.id, action: "edit", values: values});
    });
    if (f.editable && f.editable.length) edit.appendChild(apply);
    card.appendChild(edit);
    card.appendChild(el("div", "decision meta"));
    card.addEventListener("click", function () { select(n, false); });
    list.appendChild(card);
    cards.push(card);
  });

  save.addEventListener("click", function () {
    var body = {decisions: Object.keys(decisions).map(function (k) { return decisions[k]; })};
    if (!data.token) {
      var blob = new Blob([JSON.stringify(body, null, 1)], {type: "application/json"});
      var a = el("a");
      a.href = URL.createObjectURL(blob);
      a.download = "decisions.json";
      document.body.appendChild(a);
      a.click();
      a.remove();
      message.textContent = body.decisions.length + " decisions exported";
      return;
    }
    save.disabled = true;
    fetch("/decisions", {method: "POST", headers: {"Content-Type": "application/json", "X-Govkg-Token": data.token},
                         body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, j: j}; }); })
      .then(function (res) {
        if (!res.ok) throw new Error(res.j.error || "refused");
        message.className = "";
        message.textContent = "saved: " + res.j.accepted + " accepted, " + res.j.edited + " edited, " +
          res.j.rejected + " rejected (" + res.j.files.join(", ") + ")";
        decisions = {};
        document.body.dataset.saved = "yes";
      })
      .catch(function (e) { message.className = "error"; message.textContent = "not saved: " + e.message; save.disabled = false; });
  });
})();

// govkg review page: the report's sentences, every drafted fact highlighted on its sentence,
// accept / edit / reject per fact. All text from the data goes through textContent.
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("govkg-review-data").textContent);
  if (!boot.serve) { start(boot); return; }
  // Served: the token comes in the URL's fragment (never sent in a request line, never in a log);
  // it is taken out of the address bar and sent as a header to fetch the data and save decisions.
  var m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  var token = m ? m[1] : sessionStorage.getItem("govkg-review-token");
  if (m) { sessionStorage.setItem("govkg-review-token", token); history.replaceState(null, "", location.pathname); }
  if (!token) { document.getElementById("message").textContent = "open the address govkg review printed (it carries the page's token)"; return; }
  fetch("/data", {headers: {"X-Govkg-Token": token}, cache: "no-store"})
    .then(function (r) { if (!r.ok) throw new Error("refused (" + r.status + "): open the address govkg review printed"); return r.json(); })
    .then(function (d) { d.token = token; start(d); })
    .catch(function (e) { var msg = document.getElementById("message"); msg.className = "error"; msg.textContent = e.message; });
})();

function start(data) {
  "use strict";
  var decisions = {};  // key -> {file, section, id, action, values}
  var SECTION_NAMES = {site: "site 示范点", areas: "area 区域", organizations: "organization 组织",
                       mechanisms: "mechanism 机制", outcomes: "outcome 数字", source: "report 报道"};
  var choices = data.choices || {enums: {}, units: [], kinds: []};
  var ENUM_OF = choices.enum_of || {};
  var OPTIONAL = {};
  var QUOTES = /[\u3400-\u9FFF]/;  // Chinese characters: the report's own words
  (choices.optional || []).forEach(function (k) { OPTIONAL[k] = 1; });
  var kindById = {};
  choices.kinds.forEach(function (k) { kindById[k.id] = k; });
  var unitLabel = {};
  choices.units.forEach(function (u) { unitLabel[u[0]] = (u[2][0] || u[0]) + " (" + u[1] + ")"; });
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
      return c + x.value + " " + (unitLabel[x.unit] || x.unit) + " — " + (x.zh || "");
    }
    return (x.zh || f.id) + (x.en ? " / " + x.en : "");
  }
  document.getElementById("title").textContent = "govkg review — " + data.report;
  var nDraft = data.facts.filter(function (f) { return f.status === "draft"; }).length;
  var toFill = data.facts.filter(function (f) { return f.missing && f.missing.length; });
  document.getElementById("summary").textContent = data.facts.length + " entries, " + nDraft +
    " still drafts; " + data.sentences.length + " sentences. " +
    (data.token ? "Decisions are saved into the YAML by the review server." :
                  "This page is a file: export the decisions and apply them with govkg review DIR --apply decisions.json.") +
    (toFill.length ? " Fill the report's title, publisher and date (first card) before accepting entries." : "");
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
  var order = data.facts.map(function (f, n) { return n; });
  order.sort(function (a, b) { return (data.facts[a].section === "source" ? 0 : 1) - (data.facts[b].section === "source" ? 0 : 1) || a - b; });
  var cardOf = {};
  order.forEach(function (n) {
    var f = data.facts[n];
    var group = f.file;
    if (group !== lastGroup) { list.appendChild(el("h2", null, group)); lastGroup = group; }
    var card = el("div", "fact " + f.status.replace(/ /g, "-"));
    card.dataset.key = key(f);
    cardOf[key(f)] = card;
    card.appendChild(el("div", "meta", SECTION_NAMES[f.section] + " · " + f.status +
      (f.confidence !== null && f.confidence !== undefined ? " · confidence " + f.confidence : "") + " · id " + f.id));
    card.appendChild(el("div", "label", label(f)));
    var x = f.fields || {};
    var extra = [];
    ["type", "kinds", "measure", "direction", "mechanism", "subject", "within"].forEach(function (k) {
      if (x[k] === undefined) return;
      var shown = k === "kinds" ? x[k].map(function (id) { return kindById[id] ? kindById[id].zh + " " + kindById[id].en : id; }) : x[k];
      extra.push(k + ": " + (Array.isArray(shown) ? shown.join(", ") : shown));
    });
    if (f.section === "source") {
      extra = [];
      if (x.publisher) extra.push("publisher: " + x.publisher.zh + " / " + x.publisher.en);
      if (x.date) extra.push("date: " + x.date);
      if (f.missing && f.missing.length) extra.push("to fill: " + f.missing.join(", "));
    }
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
    if (f.section !== "source") button("Accept", "accept");
    if (f.editable && f.editable.length) button("Edit", "edit");
    if (f.section !== "site" && f.section !== "source") button("Reject", "reject");
    card.appendChild(buttons);
    var form = editForm(f, x, edit);
    if (f.section === "source" && f.missing && f.missing.length) edit.hidden = false;
    var apply = el("button", "apply-edit", "Use these values");
    apply.type = "button";
    apply.addEventListener("click", function (ev) {
      ev.stopPropagation();
      var values = form();
      if (values === null) return;
      mark(card, f, {file: f.file, section: f.section, id: f.id, action: "edit", values: values});
    });
    if (f.editable && f.editable.length) edit.appendChild(apply);
    card.appendChild(edit);
    card.appendChild(el("div", "decision meta"));
    card.appendChild(el("div", "problem"));
    card.addEventListener("click", function () { select(n, false); });
    list.appendChild(card);
    cards[n] = card;
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
        showProblems(res.ok ? [] : res.j.problems || []);
        if (!res.ok) throw new Error(res.j.error || "refused");
        message.className = "";
        message.textContent = "saved: " + res.j.accepted + " accepted, " + res.j.edited + " edited, " +
          res.j.rejected + " rejected (" + res.j.files.join(", ") + ")";
        decisions = {};
        document.body.dataset.saved = "yes";
      })
      .catch(function (e) { message.className = "error"; message.textContent = "not saved: " + e.message; save.disabled = false; });
  });

  function showProblems(problems) {
    Object.keys(cardOf).forEach(function (k) {
      cardOf[k].classList.remove("refused");
      cardOf[k].querySelector(".problem").textContent = "";
    });
    problems.forEach(function (p) {
      var c = p.file && p.section ? cardOf[p.file + "|" + p.section + "|" + p.id] : null;
      if (!c) return;
      c.classList.add("refused");
      var where = p.file + (p.line ? ":" + p.line : "") + (p.field ? " field '" + p.field + "'" : "");
      c.querySelector(".problem").textContent = (c.querySelector(".problem").textContent ? c.querySelector(".problem").textContent + "\n" : "") +
        "refused: " + where + ": " + p.message;
    });
    var first = document.querySelector(".fact.refused");
    if (first) first.scrollIntoView({block: "nearest"});
  }

  // The edit form of a fact: a select for every field with a vocabulary, check boxes for kinds
  // (with the basis asked for a kind the entry's words do not name), text fields otherwise.
  // Returns a function giving the changed values, or null (and a message) when one is missing.
  function editForm(f, x, box) {
    var getters = [];
    function labelled(name, input, text) {
      var lab = el("label", null, (text || name) + " ");
      input.name = name;
      lab.appendChild(input);
      box.appendChild(lab);
      return input;
    }
    function select(name, options, current, optional) {
      var s = el("select");
      if (optional || current === undefined) { var o0 = el("option", null, optional ? "(none)" : "(choose)"); o0.value = ""; s.appendChild(o0); }
      options.forEach(function (o) {
        var opt = el("option", null, Array.isArray(o) ? o[1] : o);
        opt.value = Array.isArray(o) ? o[0] : o;
        s.appendChild(opt);
      });
      s.value = current === undefined ? "" : String(current);
      return labelled(name, s);
    }
    var words = [x.zh || ""].concat((f.evidence || []).map(function (w) { return w.sentence !== null && data.sentences[w.sentence] ? data.sentences[w.sentence].text : ""; })).join(" ");
    (f.editable || []).forEach(function (k) {
      if (k === "kind_basis") return;  // asked for with the kinds
      var v = x[k];
      var enumName = ENUM_OF[f.section + "|" + k];
      if (enumName) {
        var inp = select(k, choices.enums[enumName] || [], v, OPTIONAL[k]);
        getters.push(function (out) { if (inp.value !== (v === undefined ? "" : String(v))) out[k] = inp.value; });
      } else if (k === "within") {
        var places = (choices.places || []).filter(function (pl) { return pl[0] !== f.id; })
          .map(function (pl) { return [pl[0], pl[1] + " (" + pl[0] + ")"]; });
        var w = select(k, places, v, true);
        getters.push(function (out) { if (w.value !== (v === undefined ? "" : String(v))) out.within = w.value; });
      } else if (k === "unit") {
        var u = select(k, choices.units.map(function (c) { return [c[0], (c[2][0] || c[0]) + " — " + c[1]]; }), v, false);
        getters.push(function (out) { if (u.value !== v) out.unit = u.value; });
      } else if (k === "kinds") {
        var fs = el("fieldset", "kinds");
        fs.appendChild(el("legend", null, "kinds (check every kind that fits; a kind the report's words do not name needs its basis, quoting them)"));
        var oldBasis = f.basis || {};
        var boxes = [];
        var chosenFirst = choices.kinds.filter(function (kd) { return (v || []).indexOf(kd.id) >= 0; })
          .concat(choices.kinds.filter(function (kd) { return (v || []).indexOf(kd.id) < 0; }));
        chosenFirst.forEach(function (kd) {
          var row = el("div", "kind");
          var cb = el("input");
          cb.type = "checkbox"; cb.name = "kind"; cb.value = kd.id;
          cb.checked = (v || []).indexOf(kd.id) >= 0;
          var lab = el("label", null, " " + kd.zh + " — " + kd.en);
          lab.prepend(cb);
          row.appendChild(lab);
          var named = kd.names.some(function (n) { return words.indexOf(n) >= 0; });
          var basis = el("input", "basis");
          basis.name = "basis-" + kd.id;
          basis.placeholder = "basis: the report's words for " + kd.zh;
          // a basis quotes the report's words (the rule kind-basis-without-report-words): a drafter's
          // English guess is shown as a hint, not kept
          basis.value = QUOTES.test(oldBasis[kd.id] || "") ? oldBasis[kd.id] : "";
          basis.placeholder = oldBasis[kd.id] || basis.placeholder;
          basis.hidden = !cb.checked || (named && !oldBasis[kd.id]);
          if (named) row.classList.add("named");
          cb.addEventListener("change", function () { basis.hidden = !cb.checked || (named && !oldBasis[kd.id]); });
          row.appendChild(basis);
          fs.appendChild(row);
          boxes.push({cb: cb, basis: basis, id: kd.id, named: named});
        });
        box.appendChild(fs);
        getters.push(function (out) {
          var chosen = boxes.filter(function (b) { return b.cb.checked; });
          var ids = chosen.map(function (b) { return b.id; });
          if (!ids.length) throw new Error("choose at least one kind");
          var basis = {}, changedBasis = false;
          chosen.forEach(function (b) {
            var t = b.basis.value.trim();
            if (!b.named && !QUOTES.test(t)) throw new Error("kind " + kindById[b.id].zh + ": give its basis, quoting the report's words for it");
            if (t) { basis[b.id] = t; if (t !== (oldBasis[b.id] || "")) changedBasis = true; }
          });
          if (ids.join(",") !== (v || []).join(",")) out.kinds = ids;
          if (changedBasis || (out.kinds && Object.keys(oldBasis).some(function (k2) { return ids.indexOf(k2) < 0; }))) out.kind_basis = basis;
        });
      } else if (k === "publisher") {
        var pv = v || {};
        var pz = labelled("publisher-zh", el("input"), "publisher 出版者 (中文)");
        var pe = labelled("publisher-en", el("input"), "publisher (English)");
        pz.value = pv.zh || ""; pe.value = pv.en || "";
        if (f.missing && f.missing.indexOf("publisher") >= 0) {  // a placeholder (未注明 / not stated): shown, not kept
          pz.placeholder = pz.value; pe.placeholder = pe.value; pz.value = ""; pe.value = "";
          pz.parentNode.classList.add("to-fill");
        }
        getters.push(function (out) {
          if (pz.value !== (pv.zh || "") || pe.value !== (pv.en || "")) out.publisher = {zh: pz.value, en: pe.value};
        });
      } else if (k === "date") {
        var d = el("input");
        d.type = "date";
        labelled("date", d, "date 日期");
        d.value = v || "";
        getters.push(function (out) { if (d.value !== (v || "")) out.date = d.value; });
      } else {
        var t = labelled(k, el("input"), f.section === "source" ? {zh: "title 标题 (中文)", en: "title (English)"}[k] : k);
        t.value = v === undefined ? "" : String(v);
        if (f.missing && f.missing.indexOf(k) >= 0) { t.placeholder = t.value; t.value = ""; }
        getters.push(function (out) { if (t.value !== (v === undefined ? "" : String(v))) out[k] = t.value; });
      }
      if (f.missing && f.missing.indexOf(k) >= 0) box.lastChild.classList.add("to-fill");
    });
    return function () {
      var out = {};
      try { getters.forEach(function (g) { g(out); }); }
      catch (e) { message.className = "error"; message.textContent = e.message; return null; }
      return out;
    };
  }
}

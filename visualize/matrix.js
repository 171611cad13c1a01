// govkg viz --view matrix: renders the site × kind matrix from the JSON in #govkg-matrix.
// Every data text goes into the page with textContent (never as markup).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("govkg-matrix").textContent);
  const T = JSON.parse(document.getElementById("govkg-text").textContent);
  const UI = {
    kind: { zh: "机制类型", en: "Kind of mechanism" },
    sites: { zh: "示范点数", en: "Sites" },
    district: { zh: "区", en: "District" },
    all: { zh: "显示全部类型", en: "Show every kind" },
    other: { zh: "English", en: "中文" },
    mechanisms: { zh: "具体机制", en: "Named mechanisms" },
    kinds: { zh: "机制类型:", en: "Kinds: " },
    noev: { zh: "数据未引用原文句子。", en: "The data quote no sentence for this." },
    at: { zh: " @ ", en: " at " },
  };
  const state = { lang: window.GOVKG_LANG === "en" ? "en" : "zh", all: false, sel: null };
  const L = (x) => (x && (x[state.lang] || x.zh || x.en)) || "";
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  const COLORS = ["#f0b98a", "#c86f2c", "#9c4a0c"];
  const INK = ["#3b1d05", "#fff", "#fff"];
  const siteById = Object.fromEntries(data.sites.map((s) => [s.id, s]));
  const kindById = Object.fromEntries(data.kinds.map((k) => [k.id, k]));

  function shownKinds() {
    return data.kinds.filter((k) => state.all || k.site_count >= data.min_sites);
  }

  function render() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.getElementById("title").textContent = L(T.title);
    document.getElementById("note").textContent = L(T.note);
    document.getElementById("all-label").textContent = L(UI.all) + " (" + data.kinds.length + ")";
    document.getElementById("lang").textContent = L(UI.other);
    const thead = document.querySelector("#matrix thead");
    const tbody = document.querySelector("#matrix tbody");
    thead.replaceChildren();
    tbody.replaceChildren();
    const r1 = el("tr"), r2 = el("tr");
    r1.append(el("th", { rowspan: "2", class: "corner" }, L(UI.kind)), el("th", { rowspan: "2" }, L(UI.sites)));
    for (const d of data.districts) r1.append(el("th", { colspan: String(d.span), class: "district" }, L(d.label)));
    for (const s of data.sites) r2.append(el("th", { class: "site", "data-site": s.id }, L(s.label)));
    thead.append(r1, r2);
    let prevTop = null;
    for (const k of shownKinds()) {
      const tr = el("tr", { "data-kind": k.id });
      if (k.top !== prevTop) tr.classList.add("group-start");
      prevTop = k.top;
      const th = el("th", { class: "kind d" + Math.min(k.depth, 3) + (k.depth === 0 ? " top" : ""), scope: "row" });
      const span = el("span", { class: "kind-label" }, L(k.label));
      th.title = L(k.definition);
      th.append(span);
      tr.append(th, el("td", { class: "n" }, String(k.site_count)));
      for (const s of data.sites) {
        const ms = data.cells[k.id + "|" + s.id] || [];
        const td = el("td", { class: "cell" + (ms.length ? " on" : "") });
        if (ms.length) {
          const b = el("button", { type: "button", "data-kind": k.id, "data-site": s.id }, String(ms.length));
          b.style.background = COLORS[Math.min(ms.length, 3) - 1];
          b.style.color = INK[Math.min(ms.length, 3) - 1];
          b.title = ms.map((m) => L(data.mechanisms[m].label)).join("\n");
          b.setAttribute("aria-label", L(k.label) + L(UI.at) + L(s.label) + ": " + b.title.replace(/\n/g, "; "));
          if (state.sel && state.sel[0] === k.id && state.sel[1] === s.id) b.classList.add("sel");
          b.addEventListener("click", () => show(k.id, s.id));
          td.append(b);
        }
        tr.append(td);
      }
      tbody.append(tr);
    }
    if (state.sel) show(state.sel[0], state.sel[1]);
  }

  function show(kindId, siteId) {
    state.sel = [kindId, siteId];
    document.querySelectorAll("td.cell button.sel").forEach((b) => b.classList.remove("sel"));
    const b = document.querySelector(`td.cell button[data-kind="${CSS.escape(kindId)}"][data-site="${CSS.escape(siteId)}"]`);
    if (b) b.classList.add("sel");
    const k = kindById[kindId], s = siteById[siteId];
    const d = document.getElementById("detail");
    d.replaceChildren();
    d.append(el("h2", null, L(k.label) + L(UI.at) + L(s.label)));
    if (L(k.definition)) d.append(el("p", { class: "def" }, L(k.definition)));
    for (const mid of data.cells[kindId + "|" + siteId] || []) {
      const m = data.mechanisms[mid];
      const other = state.lang === "zh" ? m.label.en : m.label.zh;
      d.append(el("h3", { class: "mechanism" }, L(m.label) + (other && other !== L(m.label) ? " · " + other : "")));
      d.append(el("p", { class: "kinds" }, L(UI.kinds) + m.kinds.map(L).join(state.lang === "zh" ? "、" : ", ")));
      const evs = m.evidence[siteId] || [];
      if (!evs.length) d.append(el("p", { class: "src" }, L(UI.noev)));
      for (const ev of evs) {
        d.append(el("blockquote", { class: "evidence" }, "“" + ev.text + "”"));
        const src = data.sources[ev.source];
        if (src) {
          const parts = [L(src.label), L(src.publisher), L(src.date), src.url].filter(Boolean);
          d.append(el("p", { class: "src" }, "— " + parts.join(", ")));
        }
      }
    }
    document.getElementById("panel").hidden = false;
  }

  document.getElementById("close").addEventListener("click", () => {
    document.getElementById("panel").hidden = true;
    state.sel = null;
    document.querySelectorAll("td.cell button.sel").forEach((b) => b.classList.remove("sel"));
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") document.getElementById("close").click(); });
  document.getElementById("lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; render(); });
  document.getElementById("all-kinds").addEventListener("change", (e) => { state.all = e.target.checked; render(); });
  window.govkg = {
    ready: true,
    setLang(lang) { state.lang = lang; render(); },
    showAll(on) { state.all = !!on; document.getElementById("all-kinds").checked = !!on; render(); },
    data,
  };
  render();
})();

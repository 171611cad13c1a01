/* govkg.visualize: legend, search, filters, 中文/English toggle, neighbour highlight, tooltips and physics
   control for the pyvis page. Every text from the data goes into the DOM with textContent only. */
(function () {
  "use strict";
  var tStart = performance.now();
  var cfg = JSON.parse(document.getElementById("govkg-config").textContent);
  var net = window.drawGraph(), N = window.nodes, E = window.edges;
  var tDrawn = performance.now();
  var stableAt = null;
  if (cfg.fixedLayout) {
    // laid out in Python, drawn without physics: ready after the first drawing
    net.once("afterDrawing", function () { stableAt = performance.now(); setTimeout(onStable, 0); });
  } else {
    net.once("stabilizationIterationsDone", function () { stableAt = performance.now(); setTimeout(onStable, 0); });
  }
  var lang = cfg.lang;
  var T = {
    title: { zh: "基层治理示范点知识图谱", en: "Grassroots-governance knowledge graph" },
    search: { zh: "搜索", en: "Search" },
    searchPh: { zh: "输入名称,如 调解 / mediation", en: "type a name, e.g. 调解 / mediation" },
    language: { zh: "语言", en: "Language" },
    legend: { zh: "图例(勾选以显示)", en: "Legend (tick to show)" },
    shared: { zh: "两个及以上示范点共用的机制", en: "mechanism used at two or more sites" },
    filters: { zh: "筛选", en: "Filter" },
    allKinds: { zh: "全部机制类型", en: "all mechanism kinds" },
    sharedKinds: { zh: "多个示范点共有的机制类型(点击筛选)", en: "Kinds shared by sites (click to filter)" },
    allDistricts: { zh: "全部区", en: "all districts" },
    layout: { zh: "布局", en: "Layout" },
    freeze: { zh: "冻结布局", en: "Freeze layout" },
    resume: { zh: "继续布局", en: "Resume layout" },
    fit: { zh: "适应窗口", en: "Fit to window" },
    reset: { zh: "清除高亮", en: "Clear highlight" },
    details: { zh: "详情(点击节点)", en: "Details (click a node)" },
    none: { zh: "无匹配", en: "no match" },
    kinds: { zh: "机制类型", en: "Kinds" },
    sites: { zh: "示范点", en: "Sites" },
    outcomes: { zh: "成效数据", en: "Outcomes" },
    evidence: { zh: "证据", en: "Evidence" },
    source: { zh: "来源", en: "Source" },
    links: { zh: "使用地点及依据", en: "Where it is used, and what says so" },
    siteLinks: { zh: "机制及依据", en: "Mechanisms, and what says so" },
    about: { zh: "关于", en: "About" },
    untied: { zh: "数据未记录以下句子各自关于哪个示范点", en: "the data do not record which site each of these sentences is about" },
    noSentence: { zh: "无单独的证据句", en: "no sentence of its own" },
    lines: { zh: "连线", en: "Lines" },
    linesText: { zh: "箭头:机制“应用于”示范点、机制“属于”类型、类型的“上位类型”等关系;橙色粗线:两个及以上示范点共用的机制。悬停连线可见关系及证据。",
                 en: "Arrows: a mechanism is used at a site, is of a kind, a kind has a broader kind, and so on; thick orange: a mechanism used at two or more sites. Hover a line for the relation and its evidence." },
    groupsText: { zh: "全图初始按类别折叠:点击带粗边框的类别节点展开。", en: "The full graph starts collapsed by class: click a class node (thick border) to expand it." },
    collapse: { zh: "全部折叠", en: "Collapse all" },
    expandAll: { zh: "全部展开", en: "Expand all" },
    groupTip: { zh: "点击展开此类别的全部节点", en: "click to show every node of this class" },
    groupCls: { zh: "类别(已折叠)", en: "class (collapsed)" },
    nLinks: { zh: "{n} 条关系", en: "{n} links" },
    sharedM: { zh: "共用机制", en: "Shared mechanisms" },
    sharedK: { zh: "共同机制类型", en: "Shared kinds" },
    status: { zh: "节点 {n} · 边 {e}", en: "{n} nodes · {e} edges" },
    settling: { zh: "布局计算中…", en: "laying out…" },
    settled: { zh: "布局已稳定", en: "layout settled" },
    frozen: { zh: "布局已冻结", en: "layout frozen" }
  };
  function t(key) { return T[key][lang]; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function both(pair) { // "中文 / English" (one of them when equal or missing)
    if (!pair) return "";
    var zh = pair.zh || "", en = pair.en || "";
    if (!zh || zh === en) return en; if (!en) return zh;
    return lang === "zh" ? zh + " / " + en : en + " / " + zh;
  }
  var GLYPH = { dot: "\u25CF", square: "\u25A0", diamond: "\u25C6", triangle: "\u25B2", triangleDown: "\u25BC",
                hexagon: "\u2B22", star: "\u2605" };

  // ---------- tooltips / details: DOM elements built from plain text ----------
  function section(box, title, items, render) {
    if (!items || !items.length) return;
    box.appendChild(el("div", { "class": "h" }, title));
    var ul = el("ul");
    items.slice(0, 12).forEach(function (it) { ul.appendChild(render(it)); });
    if (items.length > 12) ul.appendChild(el("li", null, "… +" + (items.length - 12)));
    box.appendChild(ul);
  }
  function nodeInfo(n, full) {
    var info = n.info || {};
    var box = el("div", { "class": "govkg-info" });
    box.appendChild(el("div", { "class": "t" }, n.label_zh));
    if (n.label_en && n.label_en !== n.label_zh) box.appendChild(el("div", { "class": "t" }, n.label_en));
    box.appendChild(el("div", { "class": "c" }, both(info["class"])));
    (info.details || []).forEach(function (d) { box.appendChild(el("div", null, both(d))); });
    section(box, T.kinds.zh + " / " + T.kinds.en, info.kinds, function (k) { return el("li", null, both(k)); });
    section(box, T.sites.zh + " / " + T.sites.en, info.sites, function (s) { return el("li", null, both(s)); });
    section(box, T.outcomes.zh + " / " + T.outcomes.en, info.outcomes, function (o) {
      var li = el("li", null, o.zh);
      if (o.en) { li.appendChild(el("br")); li.appendChild(el("span", { "class": "c" }, o.en)); }
      return li;
    });
    var links = info.links || [];
    var untied = links.filter(function (l) { return !l.tied; }).length > 0;
    if (links.length) {
      var isSite = (n.cls || "").slice(-4) === "site";
      box.appendChild(el("div", { "class": "h" }, isSite ? T.siteLinks.zh + " / " + T.siteLinks.en : T.links.zh + " / " + T.links.en));
      var max = full ? 100 : 3;
      links.slice(0, max).forEach(function (l) {
        var who = el("div", { "class": "lk" }, isSite ? both(l.mechanism) : both(l.site));
        box.appendChild(who);
        if (l.tied && !l.evidence.length) box.appendChild(el("div", { "class": "c" }, T.noSentence.zh + " / " + T.noSentence.en));
        if (l.tied) evidenceList(box, l.evidence, full ? 20 : 1, isSite ? null : l.site);
      });
      if (links.length > max) box.appendChild(el("div", { "class": "c" }, "… +" + (links.length - max)));
    }
    var ev = info.evidence || [];
    if (ev.length && (!links.length || untied || (n.cls || "").slice(-4) === "site")) {
      box.appendChild(el("div", { "class": "h" }, T.evidence.zh + " / " + T.evidence.en));
      if (untied) box.appendChild(el("div", { "class": "c" }, both(T.untied)));
      evidenceList(box, ev, full ? 20 : 2, null);
    }
    if (n.proxy) box.appendChild(el("div", { "class": "c" }, both(T.groupTip)));
    return box;
  }
  function sourceLine(x) {
    var date = lang === "zh" ? x.date : (x.date_en || x.date);
    var parts = [both(x.source), date || "", x.url || ""].filter(function (s) { return s; });
    return parts.join(" \u00B7 ");
  }
  function evidenceList(box, ev, max, site) {
    ev.slice(0, max).forEach(function (x) {
      var q = el("blockquote", null, x.text);
      if (site) { q.appendChild(el("br")); q.appendChild(el("span", { "class": "src" }, T.about.zh + " / " + T.about.en + ": " + both(site))); }
      var src = sourceLine(x);
      if (src) { q.appendChild(el("br")); q.appendChild(el("span", { "class": "src" }, T.source.zh + " / " + T.source.en + ": " + src)); }
      box.appendChild(q);
    });
    if (ev.length > max) box.appendChild(el("div", { "class": "c" }, "… +" + (ev.length - max)));
  }
  function edgeInfo(e) {
    var info = e.info || {};
    var box = el("div", { "class": "govkg-info" });
    box.appendChild(el("div", { "class": "t" }, both({ zh: e.label_zh, en: e.label_en })));
    section(box, T.sharedM.zh + " / " + T.sharedM.en, info.shared_mechanisms, function (m) { return el("li", null, both(m)); });
    section(box, T.sharedK.zh + " / " + T.sharedK.en, info.shared_kinds, function (k) { return el("li", null, both(k)); });
    if (info.link) {
      if (info.link.tied) evidenceList(box, info.link.evidence, 3, info.link.site);
      else box.appendChild(el("div", { "class": "c" }, both(T.untied)));
    }
    return box;
  }

  // ---------- class groups (a full view starts collapsed by class) ----------
  var collapsed = {}, groupOf = {};
  (cfg.groups || []).forEach(function (g) { collapsed[g.of] = true; groupOf[g.of] = g; });
  if (cfg.groups && cfg.groups.length) {
    N.add(cfg.groups.map(function (g) {
      return { id: g.id, label: lang === "zh" ? g.short_zh : g.short_en, short_zh: g.short_zh, short_en: g.short_en,
               label_zh: g.label_zh, label_en: g.label_en, x: g.x, y: g.y, shape: g.shape, color: g.color,
               size: g.size, font: { size: g.font }, borderWidth: 4, cls: "group", of: g.of, proxy: true,
               default_label: true, kinds: [], districts: [],
               info: { "class": { zh: T.groupCls.zh, en: T.groupCls.en } } };
    }));
    // the sites stay last (drawn last, their labels on top)
    var siteItems = N.get({ filter: function (n) { return (n.cls || "").slice(-4) === "site"; } });
    N.remove(siteItems.map(function (n) { return n.id; })); N.add(siteItems);
  }
  var all = N.get(), allEdges = E.get();
  var fontOf = {}; all.forEach(function (n) { fontOf[n.id] = n.font || {}; });
  var byId = {}; all.forEach(function (n) { byId[n.id] = n; });
  var orig = {}; all.forEach(function (n) { orig[n.id] = n.color; });
  var origEdge = {}; allEdges.forEach(function (e) { origEdge[e.id] = e.color || null; });
  function rep(id) { var n = byId[id]; return (n && collapsed[n.cls] && groupOf[n.cls]) ? groupOf[n.cls].id : id; }
  function regroup() {
    // one grey line from a collapsed class to each node (or class) it is linked to, as wide as the links it stands for
    E.remove(E.getIds({ filter: function (e) { return e.proxy; } }));
    var agg = {};
    allEdges.forEach(function (e) {
      var a = rep(e.from), b = rep(e.to);
      if (a === b || (a === e.from && b === e.to)) return;
      var k = a < b ? a + "\u0001" + b : b + "\u0001" + a;
      if (!agg[k]) agg[k] = { from: a, to: b, n: 0 };
      agg[k].n += 1;
    });
    E.add(Object.keys(agg).map(function (k) {
      var x = agg[k];
      return { id: "govkg-agg-" + k, from: x.from, to: x.to, proxy: true, width: Math.min(8, 1 + Math.sqrt(x.n)),
               color: { color: "#c4c4c4" }, arrows: { to: { enabled: false } },
               label_zh: T.nLinks.zh.replace("{n}", x.n), label_en: T.nLinks.en.replace("{n}", x.n), info: {} };
    }));
  }
  var baseFont = {};
  function siteFonts() {
    // every class expanded: the drawing is larger, so the site labels get the larger font kept room for
    if (!cfg.expandedScale) return;
    var allOpen = Object.keys(groupOf).every(function (c) { return !collapsed[c]; });
    var size = allOpen;
    N.update(all.filter(function (n) { return n.default_label && !n.proxy; }).map(function (n) {
      if (!(n.id in baseFont)) baseFont[n.id] = fontOf[n.id].size;
      var big = Math.round(baseFont[n.id] * cfg.expandedScale);
      fontOf[n.id] = Object.assign({}, fontOf[n.id], { size: size ? big : baseFont[n.id] });
      return { id: n.id, font: Object.assign({}, fontOf[n.id], { color: "#222222" }) };
    }));
  }
  function expand(cls, open) {
    if (!groupOf[cls]) return false;
    collapsed[cls] = !open;
    regroup(); applyFilters(); siteFonts();
    return true;
  }
  regroup();
  // Tooltips: our own element, built on hover from plain text (vis-network is given no HTML title).
  var tip = el("div", { id: "govkg-tooltip", "class": "govkg-tooltip", role: "tooltip" });
  tip.style.display = "none";
  document.body.appendChild(tip);
  var tipFor = null;
  function showTip(content, pointer, key) {
    tipFor = key;
    tip.textContent = ""; tip.appendChild(content); tip.style.display = "block";
    var box = document.getElementById("mynetwork").getBoundingClientRect();
    var x = box.left + pointer.x + 14, y = box.top + pointer.y + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) x = Math.max(box.left, x - w - 28);
    if (y + h > window.innerHeight - 4) y = Math.max(4, window.innerHeight - h - 4);
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  function hideTip() { tipFor = null; tip.style.display = "none"; }

  // ---------- panel ----------
  var panel = document.getElementById("govkg-panel");
  var i18n = []; // [element, key, attribute?]
  function tr(node, key, attr) { i18n.push([node, key, attr]); if (attr) node.setAttribute(attr, t(key)); else node.textContent = t(key); return node; }
  panel.appendChild(tr(el("h1"), "title"));
  if (cfg.title) panel.appendChild(el("div", { "class": "sub" }, cfg.title));

  panel.appendChild(tr(el("h2"), "language"));
  var langRow = el("div", { "class": "govkg-row", role: "group" });
  var bZh = el("button", { type: "button", id: "govkg-lang-zh", "data-lang": "zh" }, "中文");
  var bEn = el("button", { type: "button", id: "govkg-lang-en", "data-lang": "en" }, "English");
  langRow.appendChild(bZh); langRow.appendChild(bEn); panel.appendChild(langRow);

  panel.appendChild(tr(el("h2"), "search"));
  var search = tr(el("input", { type: "search", id: "govkg-search", autocomplete: "off" }), "searchPh", "placeholder");
  panel.appendChild(search);
  var results = el("ul", { "class": "govkg-results", id: "govkg-results" });
  panel.appendChild(results);

  panel.appendChild(tr(el("h2"), "legend"));
  var legend = el("div", { "class": "govkg-legend", id: "govkg-legend" });
  var classBoxes = {};
  cfg.classes.forEach(function (c) {
    var lab = el("label");
    var cb = el("input", { type: "checkbox", "data-class": c.id }); cb.checked = true;
    cb.addEventListener("change", applyFilters);
    classBoxes[c.id] = cb;
    var sw = el("span", { "class": "govkg-swatch" }, GLYPH[c.shape] || "\u25CF"); sw.style.color = c.color;
    var name = el("span", null, c[lang]); i18n.push([name, { zh: c.zh, en: c.en }]);
    lab.appendChild(cb); lab.appendChild(sw); lab.appendChild(name); legend.appendChild(lab);
  });
  if (cfg.showShared) {
    var lab2 = el("label");
    var sw2 = el("span", { "class": "govkg-swatch" }, GLYPH.diamond); sw2.style.color = cfg.sharedColor;
    lab2.appendChild(el("span", { "class": "govkg-swatch" })); lab2.appendChild(sw2); lab2.appendChild(tr(el("span"), "shared"));
    legend.appendChild(lab2);
  }
  panel.appendChild(legend);
  // what the lines mean (the similarity view says what its weight measures)
  panel.appendChild(tr(el("h2"), "lines"));
  var edgeLegend = el("div", { "class": "govkg-edge-legend", id: "govkg-edge-legend" });
  if (cfg.edgeLegend) { edgeLegend.textContent = cfg.edgeLegend[lang]; i18n.push([edgeLegend, cfg.edgeLegend]); }
  else tr(edgeLegend, "linesText");
  panel.appendChild(edgeLegend);
  if (cfg.groups && cfg.groups.length) {
    panel.appendChild(tr(el("div", { "class": "govkg-edge-legend" }), "groupsText"));
    var grow = el("div", { "class": "govkg-row" });
    var bCollapse = tr(el("button", { type: "button", id: "govkg-collapse" }), "collapse");
    var bExpand = tr(el("button", { type: "button", id: "govkg-expand" }), "expandAll");
    bCollapse.addEventListener("click", function () { hideTip(); Object.keys(groupOf).forEach(function (c) { collapsed[c] = true; }); regroup(); applyFilters(); siteFonts(); });
    bExpand.addEventListener("click", function () { api.expandAll(); });
    grow.appendChild(bExpand); grow.appendChild(bCollapse); panel.appendChild(grow);
  }

  panel.appendChild(tr(el("h2"), "filters"));
  function makeSelect(id, allKey, items) {
    var s = el("select", { id: id });
    var o0 = el("option", { value: "" }); i18n.push([o0, allKey]); o0.textContent = t(allKey); s.appendChild(o0);
    items.forEach(function (it) { var o = el("option", { value: it.id }, it[lang] || it.zh); i18n.push([o, { zh: it.zh, en: it.en }]); s.appendChild(o); });
    s.addEventListener("change", applyFilters);
    return s;
  }
  var kindSel = makeSelect("govkg-kind", "allKinds", cfg.kinds);
  var distSel = makeSelect("govkg-district", "allDistricts", cfg.districts);
  if (cfg.kinds.length) panel.appendChild(kindSel);
  // the kinds used at two or more sites, by name with their number of sites: one click shows only them
  if (cfg.sharedKinds && cfg.sharedKinds.length) {
    panel.appendChild(tr(el("h2"), "sharedKinds"));
    var sk = el("div", { "class": "govkg-shared-kinds", id: "govkg-shared-kinds" });
    cfg.sharedKinds.forEach(function (k) {
      var b = el("button", { type: "button", "data-kind": k.id, "aria-pressed": "false" });
      var name = el("span", null, k[lang] || k.zh); i18n.push([name, { zh: k.zh, en: k.en }]);
      b.appendChild(name); b.appendChild(el("span", { "class": "n" }, " " + k.n));
      b.addEventListener("click", function () {
        kindSel.value = kindSel.value === k.id ? "" : k.id;
        sk.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", String(x.getAttribute("data-kind") === kindSel.value)); });
        applyFilters();
      });
      sk.appendChild(b);
    });
    panel.appendChild(sk);
    kindSel.addEventListener("change", function () {
      sk.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", String(x.getAttribute("data-kind") === kindSel.value)); });
    });
  }
  if (cfg.districts.length) panel.appendChild(distSel);

  panel.appendChild(tr(el("h2"), "layout"));
  var lrow = el("div", { "class": "govkg-row" });
  var freezeBtn = el("button", { type: "button", id: "govkg-freeze", "aria-pressed": "false" });
  var fitBtn = tr(el("button", { type: "button", id: "govkg-fit" }), "fit");
  var resetBtn = tr(el("button", { type: "button", id: "govkg-reset" }), "reset");
  lrow.appendChild(freezeBtn); lrow.appendChild(fitBtn); lrow.appendChild(resetBtn); panel.appendChild(lrow);

  panel.appendChild(tr(el("h2"), "details"));
  var details = el("div", { id: "govkg-details" }); panel.appendChild(details);
  var status = el("div", { "class": "govkg-status", id: "govkg-status" }); panel.appendChild(status);

  // ---------- language ----------
  function setLang(l, initial) {
    if (l !== "zh" && l !== "en") return;
    lang = l;
    document.documentElement.setAttribute("lang", l === "zh" ? "zh-CN" : "en");
    bZh.setAttribute("aria-pressed", String(l === "zh")); bEn.setAttribute("aria-pressed", String(l === "en"));
    i18n.forEach(function (x) {
      var txt = typeof x[1] === "string" ? t(x[1]) : (x[1][l] || x[1].zh);
      if (x[2]) x[0].setAttribute(x[2], txt); else x[0].textContent = txt;
    });
    if (!initial) relabel(l);
    updateFreeze(); updateStatus(); runSearch();
    if (selected) showDetails(selected);
  }
  function relabel(l) {
    N.update(N.get({ fields: ["id", "short_zh", "short_en"] }).map(function (n) {
      return { id: n.id, label: (l === "zh" ? n.short_zh : n.short_en) || n.short_zh || n.short_en || "" };
    }));
  }
  bZh.addEventListener("click", function () { setLang("zh"); });
  bEn.addEventListener("click", function () { setLang("en"); });

  // ---------- highlight ----------
  var highlighted = [], selected = null;
  var GREY = "rgba(200,200,200,0.45)";
  function highlight(id) {
    if (id === null || id === undefined || !byId[id]) { clearHighlight(); return []; }
    var keep = {}; keep[id] = true;
    net.getConnectedNodes(id).forEach(function (x) { keep[x] = true; });
    var conn = {}; net.getConnectedEdges(id).forEach(function (x) { conn[x] = true; });
    N.update(all.map(function (n) {
      return keep[n.id] ? { id: n.id, color: orig[n.id], font: Object.assign({}, fontOf[n.id], { color: "#222222" }) }
                        : { id: n.id, color: GREY, font: Object.assign({}, fontOf[n.id], { color: "#bbbbbb" }) };
    }));
    E.update(E.get().map(function (e) {
      return conn[e.id] ? { id: e.id, color: origEdge[e.id] || { color: "#555555" } } : { id: e.id, color: { color: "rgba(200,200,200,0.3)" } };
    }));
    highlighted = Object.keys(keep).filter(function (x) { return x !== id; });
    selected = id; showDetails(id);
    return highlighted.slice();
  }
  function clearHighlight() {
    N.update(all.map(function (n) { return { id: n.id, color: orig[n.id], font: Object.assign({}, fontOf[n.id], { color: "#222222" }) }; }));
    E.update(E.get().map(function (e) { return { id: e.id, color: origEdge[e.id] || (e.proxy ? { color: "#c4c4c4" } : { color: "#a8a8a8" }) }; }));
    highlighted = []; selected = null;
    details.textContent = "";
  }
  function showDetails(id) {
    details.textContent = "";
    if (byId[id]) details.appendChild(nodeInfo(byId[id], true));
  }
  net.on("hoverNode", function (p) { if (byId[p.node]) showTip(nodeInfo(byId[p.node], false), p.pointer.DOM, "n:" + p.node); });
  net.on("blurNode", hideTip);
  net.on("hoverEdge", function (p) {
    var e = E.get(p.edge);
    if (e && (e.label_zh || e.label_en)) showTip(edgeInfo(e), p.pointer.DOM, "e:" + p.edge);
  });
  net.on("blurEdge", hideTip);
  net.on("dragStart", hideTip); net.on("zoom", hideTip);
  net.on("click", function (p) {
    if (p.nodes && p.nodes.length) {
      var c = byId[p.nodes[0]];
      if (c && c.proxy) { net.unselectAll(); clearHighlight(); expand(c.of, true); return; }
      highlight(p.nodes[0]);
    } else clearHighlight();
  });
  resetBtn.addEventListener("click", function () { net.unselectAll(); clearHighlight(); });
  function fitVisible() {
    // vis-network's fit() also counts hidden nodes: fit the shown ones
    var ids = N.getIds({ filter: function (n) { return !n.hidden; } });
    net.fit({ nodes: ids, animation: false });
  }
  fitBtn.addEventListener("click", fitVisible);

  // ---------- search ----------
  function matches(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    var order = {}; cfg.classes.forEach(function (c, i) { order[c.id] = i; });
    return all.filter(function (n) {
      return !n.proxy && ((n.label_zh || "").toLowerCase().indexOf(q) >= 0 || (n.label_en || "").toLowerCase().indexOf(q) >= 0);
    }).sort(function (a, b) { return (order[a.cls] - order[b.cls]) || (a.label_zh < b.label_zh ? -1 : 1); });
  }
  function choose(id) {
    var n = N.get(id);
    if (n && collapsed[n.cls]) { collapsed[n.cls] = false; regroup(); }
    if (n && n.hidden) { resetFilters(); }
    else applyFilters();
    net.selectNodes([id]);
    highlight(id);
    net.focus(id, { scale: Math.max(net.getScale(), 1.0), animation: false });
  }
  function runSearch() {
    results.textContent = "";
    var q = search.value;
    if (!q.trim()) return [];
    var found = matches(q);
    if (!found.length) { results.appendChild(el("li", { "class": "c" }, t("none"))); return []; }
    found.slice(0, 50).forEach(function (n) {
      var li = el("li");
      var b = el("button", { type: "button", "data-id": n.id });
      b.appendChild(el("span", null, (lang === "zh" ? n.label_zh : n.label_en) || n.label_zh));
      b.appendChild(el("span", { "class": "cls" }, (n.info && n.info["class"]) ? n.info["class"][lang] : n.cls));
      b.addEventListener("click", function () { choose(n.id); });
      li.appendChild(b); results.appendChild(li);
    });
    return found.map(function (n) { return n.id; });
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var f = matches(search.value); if (f.length) choose(f[0].id); }
  });

  // ---------- filters ----------
  function resetFilters() {
    Object.keys(classBoxes).forEach(function (c) { classBoxes[c].checked = true; });
    kindSel.value = ""; distSel.value = ""; applyFilters();
  }
  function visible(n) {
    if (n.proxy) return !!collapsed[n.of] && !(classBoxes[n.of] && !classBoxes[n.of].checked);
    if (collapsed[n.cls]) return false;
    if (classBoxes[n.cls] && !classBoxes[n.cls].checked) return false;
    var k = kindSel.value, d = distSel.value;
    if (k && (n.kinds || []).indexOf(k) < 0) return false;
    if (d && (n.districts || []).length && n.districts.indexOf(d) < 0) return false;
    return true;
  }
  function applyFilters() {
    // update only what changes: every update makes vis-network re-process the item
    var show = {}, nu = [], eu = [];
    N.get({ fields: ["id", "hidden", "cls", "of", "proxy", "kinds", "districts"] }).forEach(function (n) {
      var v = visible(n); show[n.id] = v;
      // a node of a collapsed class stays out of the physics (vis-network simulates hidden nodes too)
      if (!!n.hidden === v) nu.push({ id: n.id, hidden: !v, physics: !collapsed[n.cls] });
    });
    E.get({ fields: ["id", "from", "to", "hidden"] }).forEach(function (e) {
      var h = !(show[e.from] && show[e.to]);
      if (!!e.hidden !== h) eu.push({ id: e.id, hidden: h });
    });
    if (nu.length) N.update(nu);
    if (eu.length) E.update(eu);
    updateStatus();
  }

  // ---------- physics ----------
  var frozen = !!cfg.fixedLayout, stabilized = false;
  function updateFreeze() {
    freezeBtn.textContent = frozen ? t("resume") : t("freeze");
    freezeBtn.setAttribute("aria-pressed", String(frozen));
  }
  function setFrozen(f) {
    frozen = !!f;
    net.setOptions({ physics: { enabled: !frozen } });
    updateFreeze(); updateStatus();
  }
  freezeBtn.addEventListener("click", function () { setFrozen(!frozen); });
  function rendered() {
    return { nodes: net.body.nodeIndices.length, edges: net.body.edgeIndices.length };
  }
  function updateStatus() {
    var r = rendered();
    status.textContent = t("status").replace("{n}", r.nodes).replace("{e}", r.edges) + " \u00B7 " +
      (frozen ? t("frozen") : (stabilized ? t("settled") : t("settling")));
  }
  var api = {
    network: net, nodes: N, edges: E, config: cfg,
    stabilized: false, stabilizedAt: null,
    counts: function () {
      return { nodes: N.get({ filter: function (n) { return !n.proxy; } }).length,
               edges: E.get({ filter: function (e) { return !e.proxy; } }).length };
    },
    expand: function (cls) { return expand(cls, true); }, collapse: function (cls) { return expand(cls, false); },
    expandAll: function () { hideTip(); Object.keys(groupOf).forEach(function (c) { collapsed[c] = false; }); regroup(); applyFilters(); siteFonts(); },
    collapsed: function () { return Object.keys(collapsed).filter(function (c) { return collapsed[c]; }).sort(); },
    rendered: rendered,
    setLang: setLang, lang: function () { return lang; },
    search: function (q) { search.value = q; return runSearch(); },
    highlight: highlight, highlighted: function () { return highlighted.slice(); },
    clearHighlight: clearHighlight, freeze: setFrozen, frozen: function () { return frozen; },
    tooltip: function () { return tipFor; }, fit: function () { fitVisible(); return net.getScale(); }
  };
  function onStable() {
    if (api.stabilized) return;
    stabilized = true; api.stabilized = true; api.stabilizedAt = stableAt || performance.now();
    if (cfg.autoFreeze) setFrozen(true); else updateStatus();
  }
  net.once("stabilized", function () { if (stableAt === null) stableAt = performance.now(); onStable(); });
  window.govkg = api;
  setLang(lang, true);
  applyFilters();
  if (cfg.fixedLayout) fitVisible();
  api.timings = { scriptStart: tStart, drawn: tDrawn, ready: performance.now() };
})();

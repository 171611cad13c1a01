/* govkg query page: YASGUI pointed at this server's /sparql, the shipped example queries (their parameters as
   fields), our prefixes known to the editor, plain values by default, a shareable link. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("govkg-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var note = document.getElementById("note");

  // Only the variable autocompleter: the others fetch prefix.cc and LOV, and no request may leave the machine.
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];

  // Results: IRIs link only when they are web addresses (never javascript: or data:), every text escaped;
  // values plain ("Simple view") until the toggle asks for their RDF syntax.
  var SAFE_LINK = /^(https?|ftp|mailto|urn):/i;
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var Table = Yasgui.Yasr.plugins.table;
  Table.prototype.getUriLinkFromBinding = function (binding, prefixes) {
    var iri = binding.value, shown = iri, prefixed = false, best = "";
    for (var p in prefixes || {}) {  // the longest namespace: site:gaoxinshequ rather than id:site/gaoxinshequ
      var ns = prefixes[p];
      if (iri.indexOf(ns) === 0 && ns.length > best.length) { best = ns; shown = p + ":" + iri.substring(ns.length); prefixed = true; }
    }
    var bare = prefixed || this.persistentConfig.compact;
    var inner = SAFE_LINK.test(iri)
      ? "<a class='iri' target='_blank' rel='noopener noreferrer' href='" + esc(iri) + "'>" + esc(shown) + "</a>"
      : "<span class='iri'>" + esc(shown) + "</span>";
    return (bare ? "" : "&lt;") + inner + (bare ? "" : "&gt;");
  };
  var draw = Table.prototype.draw;
  Table.prototype.draw = function (stored) {
    if (this.persistentConfig.compact === undefined && !(stored && "compact" in stored)) this.persistentConfig.compact = true;
    return draw.apply(this, arguments);
  };

  // The editor's linter knows our predeclared prefixes (the server declares them for every query).
  function knowPrefixes(yasqe) {
    var mode = yasqe.getMode();
    if (mode.govkgPrefixes) return;
    var start = mode.startState;
    mode.startState = function () {
      var state = start.apply(this, arguments);
      Object.keys(config.prefixes).forEach(function (p) {
        if (state.prefixes[p] === undefined) state.prefixes[p] = config.prefixes[p];
      });
      return state;
    };
    mode.govkgPrefixes = true;
    yasqe.setValue(yasqe.getValue());
  }

  // The chosen example's parameters (its "--bind NAME=VALUE"), sent as $NAME=VALUE with the query.
  var params = [];
  var paramsEl = document.getElementById("params");
  function boundArgs() {
    var text = queryText();
    return params.filter(function (p) {
      return p.input.value.trim() && new RegExp("[?$]" + p.name + "(?![\\w])").test(text);
    }).map(function (p) { return { name: "$" + p.name, value: p.input.value.trim() }; });
  }
  function argsQuery() {
    return boundArgs().map(function (a) { return "&" + encodeURIComponent(a.name) + "=" + encodeURIComponent(a.value); }).join("");
  }
  function showParams(list, values) {
    paramsEl.textContent = "";
    params = (list || []).map(function (p) {
      var label = document.createElement("label");
      label.textContent = "?" + p.name + " ";
      var input = document.createElement("input");
      input.type = "text";
      input.name = "$" + p.name;
      input.value = values && values[p.name] !== undefined ? values[p.name] : p.value;
      input.title = "A value for ?" + p.name + ": text@zh, text@en or <https://…>";
      input.addEventListener("input", updateLinks);
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") tab().getYasqe().query(); });
      label.appendChild(input);
      paramsEl.appendChild(label);
      return { name: p.name, input: input };
    });
    paramsEl.hidden = params.length === 0;
  }

  function withPrefixes(text) {
    var used = {}, re = /(^|[\s(,;\[{\/^|!=<>])([A-Za-z][\w-]*):/g, m;
    var body = text.replace(/<[^<>\s]*>/g, " ").replace(/"(?:[^"\\\n]|\\.)*"/g, " ");
    while ((m = re.exec(body)) !== null) {
      if (Object.prototype.hasOwnProperty.call(config.prefixes, m[2])) used[m[2]] = true;
    }
    var declared = {};
    text.replace(/PREFIX\s+([\w-]*):/gi, function (_, p) { declared[p] = true; return _; });
    var lines = Object.keys(used).sort().filter(function (p) { return !declared[p]; }).map(function (p) {
      return "PREFIX " + p + ": <" + config.prefixes[p] + ">";
    });
    return (lines.length ? lines.join("\n") + "\n" : "") + text;
  }

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST",
                     acceptHeaderSelect: "application/sparql-results+json,*/*;q=0.9",
                     acceptHeaderGraph: "text/turtle,*/*;q=0.9" },
    copyEndpointOnNewTab: false,
    populateFromUrl: false,
    persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: withPrefixes("SELECT ?site ?label WHERE {\n  ?site a gk:DemonstrationSite ; rdfs:label ?label .\n}") },
    yasr: { prefixes: config.prefixes }
  });

  function tab() { return yasgui.getTab(); }
  function queryText() { return tab().getYasqe().getValue(); }

  function updateLinks() {
    tab().setRequestConfig({ args: boundArgs() });  // what the next run sends with the query
    var q = encodeURIComponent(queryText()) + argsQuery();
    document.getElementById("dl-csv").href = endpoint + "?format=csv&query=" + q;
    document.getElementById("dl-json").href = endpoint + "?format=json&query=" + q;
  }

  function setQuery(text, run) {
    var t = tab();
    t.setEndpoint(endpoint);
    knowPrefixes(t.getYasqe());
    t.getYasqe().setValue(withPrefixes(text));
    updateLinks();
    if (run) t.getYasqe().query();
  }

  var select = document.getElementById("examples");
  config.examples.forEach(function (ex) {
    var o = document.createElement("option");
    o.value = ex.name;
    o.textContent = ex.name + " — " + ex.title;
    select.appendChild(o);
  });
  select.addEventListener("change", function () {
    var ex = config.examples.filter(function (e) { return e.name === select.value; })[0];
    if (ex) { showParams(ex.params); setQuery(ex.query, true); }
  });

  document.getElementById("share").addEventListener("click", function () {
    var link = window.location.origin + window.location.pathname + "#query=" + encodeURIComponent(queryText()) + argsQuery();
    window.history.replaceState(null, "", link);
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link).catch(function () {});
    note.className = "ok";
    note.textContent = "Link to this query is in the address bar.";
  });

  function wire(t) {
    var yasqe = t.getYasqe();
    knowPrefixes(yasqe);
    yasqe.on("change", updateLinks);
    yasqe.on("queryResponse", function (_, response) {
      var h = (response && (response.header || response.headers)) || {};
      var cut = h["x-govkg-truncated"], rows = h["x-govkg-rows"];
      if (cut) {
        note.className = "";
        note.textContent = "Cut: only the first " + rows + " rows are shown (the server's --max-rows); more matched.";
      } else if (response && response.status >= 400) {
        note.className = "";
        note.textContent = "Error " + response.status;
      } else {
        note.className = "ok";
        note.textContent = rows ? rows + " rows" : "";
      }
    });
  }
  wire(tab());
  yasgui.on("tabAdd", function (_, id) { setTimeout(function () { wire(yasgui.getTab(id)); }, 0); });

  // #query=TEXT&$NAME=VALUE…: the query and the values of its parameters.
  var m = /^#query=([^&]*)(.*)$/.exec(window.location.hash);
  if (m) {
    var values = {}, list = [];
    m[2].split("&").forEach(function (pair) {
      var kv = pair.split("="), name = decodeURIComponent(kv[0] || "");
      if (/^\$[A-Za-z_0-9]+$/.test(name)) {
        values[name.substring(1)] = decodeURIComponent(kv.slice(1).join("="));
        list.push({ name: name.substring(1), value: "" });
      }
    });
    showParams(list, values);
    setQuery(decodeURIComponent(m[1]), true);
  } else { setQuery(queryText(), false); }
})();

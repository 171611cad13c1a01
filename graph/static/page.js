/* govkg query page: YASGUI pointed at this server's /sparql, the shipped example queries, a shareable link. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("govkg-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var note = document.getElementById("note");

  // Only the variable autocompleter: the others fetch prefix.cc and LOV, and no request may leave the machine.
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];

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
    var q = encodeURIComponent(queryText());
    document.getElementById("dl-csv").href = endpoint + "?format=csv&query=" + q;
    document.getElementById("dl-json").href = endpoint + "?format=json&query=" + q;
  }

  function setQuery(text, run) {
    var t = tab();
    t.setEndpoint(endpoint);
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
    if (ex) setQuery(ex.query, true);
  });

  document.getElementById("share").addEventListener("click", function () {
    var link = window.location.origin + window.location.pathname + "#query=" + encodeURIComponent(queryText());
    window.history.replaceState(null, "", link);
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link).catch(function () {});
    note.className = "ok";
    note.textContent = "Link to this query is in the address bar.";
  });

  function wire(t) {
    var yasqe = t.getYasqe();
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

  var m = /^#query=(.*)$/.exec(window.location.hash);
  if (m) { setQuery(decodeURIComponent(m[1]), true); } else { setQuery(queryText(), false); }
})();

/**
 * The dashboard page's script, served by plumberctl (embedded so the compiled binary has it): plain DOM,
 * one table, and on each server-sent update only the cells whose state changed are touched.
 *
 * Written without template literals so that it can live in this string.
 */
export const PAGE_JS = String.raw`"use strict";
(function () {
  var grid = document.getElementById("grid");
  var thead = grid.tHead, tbody = grid.tBodies[0];
  var panel = document.getElementById("panel");
  var conn = document.getElementById("conn");
  var counts = document.getElementById("counts");
  var empty = document.getElementById("empty");
  var clusters = [];          // column order: cluster names
  var rows = new Map();       // name -> { tr, cells: [td], data: [cell json] }
  var order = [];             // sorted names, parallel to tbody rows
  var open = null;            // { replicator, cluster }
  var streamUp = false, watches = [];
  // Read by the benchmark: the time to apply the last update and the largest one (the first full table).
  var stats = { updates: 0, cellWrites: 0, lastApplyMs: 0, largestApply: { rows: 0, ms: 0 } };
  window.__dashboard = stats;

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    if (value !== undefined) el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  function showConnection() {
    var down = watches.filter(function (w) { return !w.connected; });
    // What is on screen may be out of date while disconnected: say so by dimming it.
    document.body.classList.toggle("stale", !streamUp || down.length > 0);
    if (!streamUp) {
      conn.className = "down"; conn.textContent = "disconnected from plumberctl, retrying…";
    } else if (down.length > 0 && down.every(function (w) { return w.error === "connecting"; })) {
      conn.className = "down"; conn.textContent = "connecting to the primary…";
    } else if (down.length > 0) {
      conn.className = "down";
      conn.textContent = "watch of " + down.map(function (w) { return w.kind; }).join(", ") + " dropped, retrying: " +
        (down[0].error || "");
    } else {
      conn.className = "live"; conn.textContent = "live";
    }
  }

  function renderHeader(columns) {
    clusters = columns.map(function (c) { return c.name; });
    var tr = document.createElement("tr");
    tr.appendChild(text("th", "Replicator"));
    columns.forEach(function (c) {
      var th = document.createElement("th");
      th.dataset.cluster = c.name;
      th.appendChild(text("div", c.context || c.name));
      var badge = text("span", c.status, "col-status col-" + c.status);
      th.appendChild(badge);
      th.appendChild(text("span", " " + (c.kubernetesVersion || "") + (c.role ? " · " + c.role : ""), "col-meta"));
      var labels = Object.keys(c.labels).map(function (k) { return k + "=" + c.labels[k]; }).join(", ");
      if (labels) th.appendChild(text("div", labels, "col-meta"));
      th.title = c.name + ": " + c.status + (c.reason ? " (" + c.reason + ")" : "") +
        (c.kubernetesVersion ? "\nKubernetes " + c.kubernetesVersion : "") + (labels ? "\nlabels: " + labels : "");
      tr.appendChild(th);
    });
    thead.replaceChildren(tr);
  }

  function setCell(entry, i, cell) {
    var json = cell.state + "\u0000" + cell.label + "\u0000" + cell.reason;
    if (entry.data[i] === json) return;
    entry.data[i] = json;
    var td = entry.cells[i];
    td.className = "s-" + cell.state;
    td.textContent = cell.label;
    td.title = entry.name + " in " + clusters[i] + ": " + cell.reason;
    stats.cellWrites++;
  }

  function makeRow(row) {
    var tr = document.createElement("tr");
    var th = text("th", row.name);
    th.scope = "row";
    tr.appendChild(th);
    var entry = { name: row.name, tr: tr, th: th, cells: [], data: [] };
    clusters.forEach(function (name, i) {
      var td = document.createElement("td");
      td.tabIndex = -1;
      td.dataset.cluster = name;
      tr.appendChild(td);
      entry.cells.push(td);
      entry.data.push("");
    });
    return entry;
  }

  function fillRow(entry, row) {
    entry.th.title = row.summary;
    clusters.forEach(function (name, i) {
      setCell(entry, i, row.cells[name] || { state: "not-targeted", label: "", reason: "not targeted" });
    });
  }

  function position(name) {
    var lo = 0, hi = order.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (order[mid] < name) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function upsert(row) {
    var entry = rows.get(row.name);
    if (!entry) {
      entry = makeRow(row);
      var at = position(row.name);
      tbody.insertBefore(entry.tr, at < order.length ? rows.get(order[at]).tr : null);
      order.splice(at, 0, row.name);
      rows.set(row.name, entry);
    }
    fillRow(entry, row);
  }

  function remove(name) {
    var entry = rows.get(name);
    if (!entry) return;
    entry.tr.remove();
    rows.delete(name);
    order.splice(position(name), 1);
    if (open && open.replicator === name) closePanel();
  }

  function ensureFocusable() {
    if (tbody.querySelector("td[tabindex='0']")) return;
    var first = tbody.querySelector("td");
    if (first) first.tabIndex = 0;
  }

  function apply(update) {
    var t0 = performance.now();
    if (update.watches) watches = update.watches;
    if (update.clusters) renderHeader(update.clusters);
    if (update.full || update.clusters) {
      {
        // Columns changed: rebuild the body in one go (the server sent every row).
        var fragment = document.createDocumentFragment();
        rows = new Map(); order = [];
        (update.rows || []).slice().sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; })
          .forEach(function (row) {
            var entry = makeRow(row);
            fillRow(entry, row);
            fragment.appendChild(entry.tr);
            rows.set(row.name, entry);
            order.push(row.name);
          });
        tbody.replaceChildren(fragment);
      }
    } else {
      (update.rows || []).forEach(upsert);
    }
    (update.removed || []).forEach(remove);
    ensureFocusable();
    empty.hidden = rows.size > 0;
    counts.textContent = rows.size + " Replicators × " + clusters.length + " clusters";
    showConnection();
    stats.updates++;
    stats.lastApplyMs = performance.now() - t0;
    var applied = (update.rows || []).length;
    if (applied > stats.largestApply.rows) stats.largestApply = { rows: applied, ms: stats.lastApplyMs };
    if (open) {
      var touched = (update.rows || []).some(function (r) { return r.name === open.replicator; }) ||
        (update.events || []).indexOf(open.replicator) >= 0 || update.full;
      if (touched) loadPanel();
    }
  }

  function section(title) { var h = text("h3", title); panel.appendChild(h); }

  function kv(pairs) {
    var table = document.createElement("table");
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === "") return;
      var tr = document.createElement("tr");
      tr.appendChild(text("td", p[0])); tr.appendChild(text("td", String(p[1])));
      table.appendChild(tr);
    });
    panel.appendChild(table);
  }

  function renderPanel(d) {
    panel.replaceChildren();
    var close = text("button", "Close (Esc)", "close");
    close.addEventListener("click", closePanel);
    panel.appendChild(close);
    panel.appendChild(text("h2", d.replicator + " in " + d.cluster));
    panel.appendChild(text("div", d.cell.label && d.cell.label !== d.cell.state ? d.cell.state + " (" + d.cell.label + ")" : d.cell.state, "s-" + d.cell.state));
    panel.appendChild(text("p", d.cell.reason));
    section("Objects");
    if (d.objects.length === 0) panel.appendChild(text("p", "none applied to this cluster"));
    else kv(d.objects.map(function (o) { return [o.kind + "/" + o.name, o.applyStatus]; }));
    section("Readiness");
    kv([["ready", d.readiness.ready], ["replicas", d.readiness.replicas === undefined ? undefined :
      (d.readiness.readyReplicas || 0) + "/" + d.readiness.replicas], ["revision", d.readiness.revision],
      ["message", d.readiness.message], ["drift corrections", d.driftCorrections]]);
    section("Last drift");
    if (!d.lastDrift) panel.appendChild(text("p", "none recorded"));
    else kv([["object", d.lastDrift.kind + "/" + d.lastDrift.name], ["reverted", d.lastDrift.time],
      ["changed by", d.lastDrift.manager ? d.lastDrift.manager + (d.lastDrift.operation ? " (" + d.lastDrift.operation + ")" : "") : "unknown"],
      ["changed at", d.lastDrift.changedAt], ["what", d.lastDrift.deleted ? "deleted" : d.lastDrift.fields.join(", ")]]);
    section("Conditions");
    kv(d.conditions.map(function (c) { return [c.type, c.status + " " + c.reason + (c.message ? ": " + c.message : "")]; }));
    section("Recent Events");
    if (d.events.length === 0) panel.appendChild(text("p", "none"));
    else kv(d.events.map(function (e) { return [e.time + " " + e.type, e.reason + ": " + e.message + (e.count > 1 ? " (×" + e.count + ")" : "")]; }));
  }

  var panelRequest = 0;
  function loadPanel() {
    var ask = ++panelRequest;
    var o = open;
    fetch("/api/cell?replicator=" + encodeURIComponent(o.replicator) + "&cluster=" + encodeURIComponent(o.cluster))
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(r.status + " " + r.statusText)); })
      .then(function (d) { if (ask === panelRequest && open) renderPanel(d); })
      .catch(function (e) { if (ask === panelRequest && open) { panel.replaceChildren(text("p", "Cannot load: " + e.message)); } });
  }

  function openPanel(td) {
    open = { replicator: td.parentElement.firstChild.textContent, cluster: td.dataset.cluster, td: td };
    panel.hidden = false;
    loadPanel();
  }

  function closePanel() {
    var td = open && open.td;
    open = null;
    panel.hidden = true;
    panel.replaceChildren();
    if (td && td.isConnected) td.focus();
  }

  function focusCell(td) {
    if (!td || td.tagName !== "TD") return;
    var current = tbody.querySelector("td[tabindex='0']");
    if (current) current.tabIndex = -1;
    td.tabIndex = 0;
    td.focus();
  }

  tbody.addEventListener("click", function (e) {
    var td = e.target.closest("td");
    if (td) { focusCell(td); openPanel(td); }
  });
  tbody.addEventListener("keydown", function (e) {
    var td = e.target.closest("td");
    if (!td) return;
    var index = Array.prototype.indexOf.call(td.parentElement.children, td);
    var next = null;
    if (e.key === "ArrowRight") next = td.nextElementSibling;
    else if (e.key === "ArrowLeft") next = td.previousElementSibling;
    else if (e.key === "ArrowDown") next = td.parentElement.nextElementSibling && td.parentElement.nextElementSibling.children[index];
    else if (e.key === "ArrowUp") next = td.parentElement.previousElementSibling && td.parentElement.previousElementSibling.children[index];
    else if (e.key === "Enter") { openPanel(td); e.preventDefault(); return; }
    else return;
    e.preventDefault();
    focusCell(next);
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && open) closePanel(); });

  var source = new EventSource("/events");
  source.onopen = function () { streamUp = true; showConnection(); };
  source.onerror = function () { streamUp = false; showConnection(); };
  source.onmessage = function (e) { streamUp = true; apply(JSON.parse(e.data)); };
})();
`;

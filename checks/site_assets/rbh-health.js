/* rbh-health: sort and filter the dashboard and alert index tables. No dependencies, no network.
 * Filters can be preset from the query string, e.g. health/?owner=team-payments&status=error,
 * so a link in a chat channel opens the right view. */
(function () {
  "use strict";

  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-sort-value");
    return v !== null ? v : cell.textContent.trim().toLowerCase();
  }

  function sortBy(table, th) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var index = headers.indexOf(th);
    var numeric = th.getAttribute("data-rbh-sort") === "number";
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellKey(a, index), y = cellKey(b, index), r;
      if (numeric) r = (parseFloat(x) || 0) - (parseFloat(y) || 0);
      else r = x < y ? -1 : x > y ? 1 : 0;
      return dir === "ascending" ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function makeSortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      if (!th.hasAttribute("data-rbh-sort") || th.querySelector("button")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      button.title = "Sort by " + th.textContent.toLowerCase();
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, th); });
    });
  }

  function setupFilters(root) {
    var form = root.querySelector(".rbh-filters");
    var table = root.querySelector("table[data-rbh-table]");
    if (!form || !table) return;
    var text = form.querySelector('[data-rbh-filter="text"]');
    var owner = form.querySelector('[data-rbh-filter="owner"]');
    var status = form.querySelector('[data-rbh-filter="status"]');
    var count = form.querySelector("[data-rbh-count]");
    var params = new URLSearchParams(window.location.search);
    if (params.get("q")) text.value = params.get("q");
    if (owner && params.get("owner")) owner.value = params.get("owner");
    if (params.get("status")) status.value = params.get("status");

    function apply() {
      var q = text.value.trim().toLowerCase();
      var o = owner ? owner.value : "", s = status.value, shown = 0;
      var rows = table.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var owners = (row.getAttribute("data-rbh-owners") || "").split("\n");
        var ok = (!q || row.textContent.toLowerCase().indexOf(q) !== -1) &&
          (!o || owners.indexOf(o) !== -1) &&
          (!s || row.getAttribute("data-rbh-status") === s);
        row.hidden = !ok;
        if (ok) shown++;
      }
      count.textContent = shown + " of " + rows.length + " runbooks";
    }
    text.addEventListener("input", apply);
    if (owner) owner.addEventListener("change", apply);
    status.addEventListener("change", apply);
    apply();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-rbh-table]"), makeSortable);
    Array.prototype.forEach.call(document.querySelectorAll(".rbh-dashboard"), setupFilters);
  }

  // material's instant navigation swaps pages without a reload and announces it on document$
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

(function () {
  "use strict";
  var doc = document;
  var form = doc.querySelector(".filters");
  var rows = Array.prototype.slice.call(doc.querySelectorAll("tr.row"));
  var shown = form.querySelector(".shown");
  var none = doc.querySelector(".none");
  form.hidden = false;
  rows.forEach(function (row) {
    var actors = [];
    try { actors = JSON.parse(row.getAttribute("data-actors") || "[]"); } catch (e) { actors = []; }
    row._actors = actors.map(function (a) { return String(a).toLowerCase(); });
    row._title = (row.getAttribute("data-title") || "").toLowerCase();
    row._positions = (row.getAttribute("data-positions") || "").split(" ").filter(Boolean);
  });
  function apply() {
    var q = form.elements.q.value.trim().toLowerCase();
    var actor = form.elements.actor.value.trim().toLowerCase();
    var position = form.elements.position.value;
    var status = form.elements.status.value;
    var n = 0;
    rows.forEach(function (row) {
      var ok = (!q || row._title.indexOf(q) >= 0)
        && (!actor || row._actors.some(function (a) { return a.indexOf(actor) >= 0; }))
        && (!position || row._positions.indexOf(position) >= 0)
        && (!status || row.getAttribute("data-status") === status);
      row.hidden = !ok;
      n += ok ? 1 : 0;
    });
    shown.textContent = n + " of " + rows.length + " shown";
    none.hidden = n > 0;
  }
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  doc.querySelector("tbody").addEventListener("click", function (event) {
    var chip = event.target.closest(".actor-chip");
    if (!chip) { return; }
    form.elements.actor.value = chip.getAttribute("data-actor");
    apply();
  });
  apply();
})();

(function () {
  "use strict";
  var doc = document;
  doc.body.classList.add("js");
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var popover = doc.getElementById("popover");
  var pinned = null;

  function all(selector, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(selector)); }
  function pieces(qid) { return all('mark[data-quote="' + qid + '"]'); }
  function mentions(aid) { return all('.mention[data-actor="' + aid + '"]'); }
  function scrollTo(el) { el.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "center" }); }

  function flash(qid) {
    var marks = pieces(qid);
    if (!marks.length) { return; }
    scrollTo(marks[0]);
    marks.forEach(function (m) {
      m.classList.remove("flash");
      void m.offsetWidth; // restart the animation
      m.classList.add("flash");
    });
    window.setTimeout(function () { marks.forEach(function (m) { m.classList.remove("flash"); }); }, 1700);
  }

  function clearCited() {
    all(".stance.cited").forEach(function (s) { s.classList.remove("cited"); });
    all("mark.selected").forEach(function (m) { m.classList.remove("selected"); });
    popover.hidden = true;
  }

  function showCiters(mark) {
    clearCited();
    var qid = mark.getAttribute("data-quote");
    pieces(qid).forEach(function (m) { m.classList.add("selected"); });
    var ids = (mark.getAttribute("data-stances") || "").split(" ").filter(Boolean);
    var cards = ids.map(function (id) { return doc.getElementById("stance-" + id); }).filter(Boolean);
    if (cards.length && cards[0].closest(".tab").hidden) { showTab("stances"); }
    cards.forEach(function (c) { c.classList.add("cited"); });
    if (cards.length) { cards[0].scrollIntoView({ block: "nearest" }); }
    while (popover.firstChild) { popover.removeChild(popover.firstChild); }
    var title = doc.createElement("p");
    title.className = "pop-title";
    title.textContent = cards.length === 1 ? "Cited by 1 stance" : "Cited by " + cards.length + " stances";
    popover.appendChild(title);
    cards.forEach(function (card) {
      var button = doc.createElement("button");
      button.type = "button";
      var badge = card.querySelector(".badge").cloneNode(true);
      var text = doc.createElement("span");
      var who = card.querySelector(".who").textContent;
      var target = card.querySelector(".target").textContent.replace(/^\s*on\s+/, "");
      text.textContent = who + " on " + target;
      button.appendChild(badge);
      button.appendChild(text);
      button.addEventListener("click", function () {
        card.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "nearest" });
        card.focus({ preventScroll: true });
      });
      popover.appendChild(button);
    });
    var box = mark.getBoundingClientRect();
    popover.hidden = false;
    var left = Math.min(box.left + window.scrollX, window.scrollX + doc.documentElement.clientWidth - popover.offsetWidth - 12);
    popover.style.left = Math.max(8, left) + "px";
    popover.style.top = (box.bottom + window.scrollY + 6) + "px";
  }

  function light(aid, on) {
    mentions(aid).forEach(function (m) { m.classList.toggle("lit", on); });
    all('.actor[data-actor="' + aid + '"]').forEach(function (a) { a.classList.toggle("lit", on); });
  }

  function pin(aid) {
    var card = doc.getElementById("actor-" + aid);
    if (card && card.closest(".tab") && card.closest(".tab").hidden && typeof showTab === "function") {
      showTab("actors");
    }
    if (pinned && pinned !== aid) { unpin(); }
    var list = mentions(aid);
    if (!card) { return; }
    var at = Number(card.getAttribute("data-at") || "-1") + 1;
    if (pinned === aid && at >= list.length) { unpin(); return; }
    pinned = aid;
    card.classList.add("pinned");
    light(aid, true);
    all(".mention.current").forEach(function (m) { m.classList.remove("current"); });
    if (!list.length) { return; }
    card.setAttribute("data-at", String(at));
    list[at].classList.add("current");
    scrollTo(list[at]);
    var counter = card.querySelector(".mention-count");
    if (counter) { counter.textContent = "mention " + (at + 1) + " of " + list.length + " · click for next"; }
  }

  function unpin() {
    if (!pinned) { return; }
    var card = doc.getElementById("actor-" + pinned);
    light(pinned, false);
    all(".mention.current").forEach(function (m) { m.classList.remove("current"); });
    if (card) {
      card.classList.remove("pinned");
      card.removeAttribute("data-at");
      var n = mentions(pinned).length;
      var counter = card.querySelector(".mention-count");
      if (counter) { counter.textContent = n + (n === 1 ? " mention" : " mentions"); }
    }
    pinned = null;
  }

  all(".stance[data-stance]").forEach(function (card) {
    card.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      if (link && link.classList.contains("actor-ref")) {
        event.preventDefault();
        pin(link.getAttribute("data-actor"));
        return;
      }
      var qid = link && link.getAttribute("data-quote");
      if (link) { event.preventDefault(); }
      if (!qid) { qid = (card.getAttribute("data-quotes") || "").split(" ")[0]; }
      clearCited();
      card.classList.add("cited");
      if (qid) { flash(qid); }
    });
    card.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target === card) { card.click(); }
    });
  });

  all("mark.q").forEach(function (mark) {
    mark.addEventListener("click", function (event) {
      if (event.target.closest(".mention") && pinned) { return; }
      event.stopPropagation();
      showCiters(mark);
    });
    mark.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.stopPropagation(); showCiters(mark); }
    });
  });

  all(".actor[data-actor]").forEach(function (card) {
    var aid = card.getAttribute("data-actor");
    card.addEventListener("mouseenter", function () { light(aid, true); });
    card.addEventListener("mouseleave", function () { if (pinned !== aid) { light(aid, false); } });
    card.addEventListener("click", function () { pin(aid); });
    card.addEventListener("keydown", function (event) { if (event.key === "Enter") { pin(aid); } });
  });

  all(".questions a.actor-ref").forEach(function (link) {
    var aid = link.getAttribute("data-actor");
    link.addEventListener("mouseenter", function () { light(aid, true); });
    link.addEventListener("mouseleave", function () { if (pinned !== aid) { light(aid, false); } });
    link.addEventListener("click", function (event) { event.preventDefault(); pin(aid); });
  });

  var panel = doc.querySelector(".panel");
  var tabs = panel && panel.querySelector(".tabs");
  function showTab(name) {
    all(".tabs button", panel).forEach(function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-tab") === name));
    });
    all(".tab", panel).forEach(function (t) { t.hidden = t.getAttribute("data-tab") !== name; });
  }
  if (tabs && doc.getElementById("article")) {
    tabs.hidden = false;
    panel.classList.add("tabbed");
    all("button", tabs).forEach(function (b) {
      b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
    });
    showTab("stances");
  }

  doc.addEventListener("click", function (event) {
    if (!event.target.closest("#popover") && !event.target.closest("mark.q")) { clearCited(); }
  });
  doc.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { clearCited(); unpin(); }
  });
})();

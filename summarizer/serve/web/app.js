/* The summarizer web page: calls /v1 with the reader's token, shows results' review views.
   Every piece of data goes into the page as text (textContent), never as HTML; a review
   page (server-rendered, escaped) goes into a sandboxed frame as a whole document. */
(function () {
  "use strict";
  var KEY = "summarizer.token";
  var POLL_MS = 1000;
  var $ = function (id) { return document.getElementById(id); };
  var state = { source: "text", file: null, timer: null, job: null, seen: 0, lines: [], back: null };
  var blobUrl = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function token() {
    try { return sessionStorage.getItem(KEY) || ""; } catch (e) { return state.token || ""; }
  }
  function setToken(value) {
    state.token = value;
    try { if (value) { sessionStorage.setItem(KEY, value); } else { sessionStorage.removeItem(KEY); } }
    catch (e) { /* memory only */ }
  }

  function api(method, path, body, type) {
    var headers = { "Accept": "application/json, text/html, application/x-ndjson" };
    var t = token();
    if (t) { headers.Authorization = "Bearer " + t; }
    if (body !== undefined) { headers["Content-Type"] = type || "application/json"; }
    return fetch(path, { method: method, headers: headers, body: body, credentials: "omit",
      cache: "no-store", referrerPolicy: "no-referrer" })
      .then(function (response) {
        if (response.ok) { return response; }
        return response.text().then(function (raw) {
          var detail = raw;
          try { var data = JSON.parse(raw); detail = data.detail || data.title || raw; } catch (e) {}
          if (typeof detail !== "string") { detail = JSON.stringify(detail); }
          if (response.status === 401) { tokenState("bad", "token refused"); }
          var err = new Error(response.status + " " + (detail || response.statusText));
          err.status = response.status;
          throw err;
        });
      });
  }

  function tokenState(kind, text) {
    var s = $("token-state");
    s.className = "token-state " + kind;
    s.textContent = text;
  }

  /* ---------- the form ---------- */
  function selectSource(name) {
    state.source = name;
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (tab) {
      tab.setAttribute("aria-selected", String(tab.getAttribute("data-source") === name));
    });
    Array.prototype.forEach.call(document.querySelectorAll(".pane"), function (pane) {
      pane.hidden = pane.getAttribute("data-pane") !== name;
    });
  }

  function showError(id, message) {
    var box = $(id);
    box.textContent = message;
    box.hidden = !message;
  }

  function busy(on, text) {
    var s = $("status");
    $("go").disabled = on;
    s.className = on ? "status busy" : "status";
    s.textContent = text || "";
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result)); };
      reader.onerror = function () { reject(new Error("cannot read " + file.name)); };
      reader.readAsText(file);
    });
  }

  function isJobFile(name) { return /\.(jsonl|ndjson)$/i.test(name); }
  function isHtmlFile(name) { return /\.html?$/i.test(name); }

  function request() {
    if (state.source === "url") {
      var url = $("url").value.trim();
      if (!url) { return Promise.reject(new Error("Give the article's URL.")); }
      return Promise.resolve({ kind: "one", body: { url: url } });
    }
    if (state.source === "file") {
      var file = state.file;
      if (!file) { return Promise.reject(new Error("Choose a file first.")); }
      return readFile(file).then(function (content) {
        if (isJobFile(file.name)) { return { kind: "job", body: content, name: file.name }; }
        if (isHtmlFile(file.name)) { return { kind: "one", body: { html: content } }; }
        return { kind: "one", body: { text: content } };
      });
    }
    var text = $("text").value;
    if (!text.trim()) { return Promise.reject(new Error("Paste an article's text first.")); }
    var body = { text: text };
    var title = $("title").value.trim();
    if (title) { body.title = title; }
    return Promise.resolve({ kind: "one", body: body });
  }

  function summarizeOne(body) {
    var started = Date.now();
    var tick = function () {
      busy(true, "Summarizing… " + Math.round((Date.now() - started) / 1000) + " s");
    };
    tick();
    var timer = setInterval(tick, 500);
    return api("POST", "/v1/summaries?format=html", JSON.stringify(body))
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var label = body.title || body.url || (state.file && state.file.name) || "Pasted article";
        showReview(html, label, "home");
      })
      .finally(function () { clearInterval(timer); });
  }

  function startJob(ndjson) {
    busy(true, "Starting the job…");
    return api("POST", "/v1/jobs", ndjson, "application/x-ndjson")
      .then(function (response) { return response.json(); })
      .then(function (job) {
        history.pushState({}, "", "/jobs/" + encodeURIComponent(job.id));
        route();
      });
  }

  function submit(event) {
    event.preventDefault();
    showError("error", "");
    request()
      .then(function (req) { return req.kind === "job" ? startJob(req.body) : summarizeOne(req.body); })
      .catch(function (err) { showError("error", err.message); })
      .finally(function () { busy(false); });
  }

  /* ---------- the review frame ---------- */
  function showReview(html, label, back) {
    state.back = back;
    $("review-label").textContent = label;
    $("frame").srcdoc = html;  /* a whole document, in a frame with no origin of its own */
    if (blobUrl) { URL.revokeObjectURL(blobUrl); }
    blobUrl = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    $("download").href = blobUrl;
    $("review").hidden = false;
    $("home").hidden = true;
    $("job").hidden = true;
  }

  function closeReview() {
    $("review").hidden = true;
    $("frame").srcdoc = "";
    if (state.back === "job") { $("job").hidden = false; } else { $("home").hidden = false; }
  }

  /* ---------- a job ---------- */
  function badge(status) { return el("span", "st st-" + status, status); }

  function row(number, record) {
    var tr = el("tr");
    tr.appendChild(el("td", "num", number));
    var what = el("td");
    var result = record.result;
    var title = record.title || (result && result.tldr ? null : null) || record.id;
    what.appendChild(el("span", "title", title));
    if (record.title && record.id) { what.appendChild(el("span", "sub", "id " + record.id)); }
    if (result && result.tldr) { what.appendChild(el("span", "sub", result.tldr)); }
    var status = result ? (result.meta && result.meta.cache_hit ? "cached" : "ok") : "failed";
    if (record.error) {
      what.appendChild(el("span", "err", (record.error.type || "Error") + ": " + (record.error.message || "")));
    }
    tr.appendChild(what);
    var st = el("td"); st.appendChild(badge(status)); tr.appendChild(st);
    var counts = el("td", "counts");
    if (result && result.stances) {
      var by = {};
      result.stances.forEach(function (s) { by[s.position] = (by[s.position] || 0) + 1; });
      Object.keys(by).forEach(function (p) {
        counts.appendChild(el("span", "badge pos-" + p.replace(/[^a-z]/g, ""), by[p] + " " + p));
      });
    }
    tr.appendChild(counts);
    var open = el("td");
    if (result) {
      var button = el("button", "ghost open", "Open review");
      button.type = "button";
      button.addEventListener("click", function () { openLine(number, title); });
      open.appendChild(button);
    }
    tr.appendChild(open);
    return tr;
  }

  function openLine(number, title) {
    showError("job-error", "");
    api("GET", "/v1/jobs/" + encodeURIComponent(state.job) + "/reviews/" + number)
      .then(function (response) { return response.text(); })
      .then(function (html) { showReview(html, title, "job"); })
      .catch(function (err) { showError("job-error", err.message); });
  }

  function drawRows(total) {
    var body = $("rows");
    body.textContent = "";
    state.lines.forEach(function (record, i) { body.appendChild(row(i + 1, record)); });
    for (var k = state.lines.length; k < total; k++) {
      var tr = el("tr", "pending");
      tr.appendChild(el("td", "num", k + 1));
      tr.appendChild(el("td", null, "waiting…"));
      tr.appendChild(el("td")); tr.appendChild(el("td")); tr.appendChild(el("td"));
      body.appendChild(tr);
    }
  }

  function readLines() {
    return api("GET", "/v1/jobs/" + encodeURIComponent(state.job) + "/results?after=" + state.seen)
      .then(function (response) { return response.text(); })
      .then(function (text) {
        text.split("\n").forEach(function (line) {
          if (!line.trim()) { return; }
          try { state.lines.push(JSON.parse(line)); } catch (e) { state.lines.push({ id: "?", error: { message: "unreadable line" } }); }
          state.seen += 1;
        });
      });
  }

  function pollJob() {
    var id = state.job;
    api("GET", "/v1/jobs/" + encodeURIComponent(id))
      .then(function (response) { return response.json(); })
      .then(function (job) {
        var c = job.counts;
        var more = c.done > state.seen ? readLines() : Promise.resolve();
        return more.then(function () {
          if (id !== state.job) { return; }
          $("job-title").textContent = c.total + (c.total === 1 ? " article" : " articles");
          $("job-progress").max = Math.max(c.total, 1);
          $("job-progress").value = c.done;
          var active = job.status === "queued" || job.status === "running";
          $("job-status").className = active ? "status busy" : "status";
          $("job-status").textContent = job.status + " · " + c.done + " of " + c.total + " done" +
            (c.cached ? " · " + c.cached + " from cache" : "") + (c.failed ? " · " + c.failed + " failed" : "");
          $("cancel").hidden = !active;
          drawRows(c.total);
          if (active) { state.timer = setTimeout(pollJob, POLL_MS); }
        });
      })
      .catch(function (err) {
        showError("job-error", err.message);
        $("job-status").className = "status";
        if (err.status !== 404 && err.status !== 401) { state.timer = setTimeout(pollJob, POLL_MS * 3); }
      });
  }

  function openJob(id) {
    clearTimeout(state.timer);
    state.job = id; state.seen = 0; state.lines = [];
    $("job-id").textContent = "Job " + id;
    $("job-title").textContent = "Articles";
    $("rows").textContent = "";
    showError("job-error", "");
    $("home").hidden = true; $("review").hidden = true; $("job").hidden = false;
    crumbs([["/", "New article"], [null, "Job " + id.slice(0, 8)]]);
    pollJob();
  }

  function crumbs(parts) {
    var nav = $("crumbs");
    nav.textContent = "";
    parts.forEach(function (part, i) {
      if (i) { nav.appendChild(document.createTextNode(" / ")); }
      if (part[0]) {
        var a = el("a", null, part[1]); a.href = part[0];
        a.addEventListener("click", function (e) { e.preventDefault(); history.pushState({}, "", part[0]); route(); });
        nav.appendChild(a);
      } else { nav.appendChild(el("span", null, part[1])); }
    });
  }

  function route() {
    var m = /^\/jobs\/([0-9a-f]{32})$/.exec(location.pathname);
    if (m) { openJob(m[1]); return; }
    clearTimeout(state.timer);
    state.job = null;
    $("job").hidden = true; $("review").hidden = true; $("home").hidden = false;
    crumbs([]);
  }

  function setup() {
    if (document.body.getAttribute("data-auth") === "required") {
      $("token-form").hidden = false;
      if (token()) { tokenState("ok", "token set"); }
      $("token-form").addEventListener("submit", function (e) {
        e.preventDefault();
        setToken($("token").value.trim());
        $("token").value = "";
        tokenState(token() ? "ok" : "", token() ? "token set" : "");
        if (state.job) { openJob(state.job); }
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (tab) {
      tab.addEventListener("click", function () { selectSource(tab.getAttribute("data-source")); });
    });
    $("file").addEventListener("change", function () {
      state.file = this.files[0] || null;
      $("file-name").textContent = state.file
        ? state.file.name + (isJobFile(state.file.name) ? " — many articles: runs as a job" : "")
        : "Choose a file, or drop it here";
    });
    var drop = $("drop");
    drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (e) {
      e.preventDefault(); drop.classList.remove("over");
      if (e.dataTransfer.files.length) { $("file").files = e.dataTransfer.files; $("file").dispatchEvent(new Event("change")); }
    });
    $("submit-form").addEventListener("submit", submit);
    $("back").addEventListener("click", closeReview);
    $("cancel").addEventListener("click", function () {
      api("DELETE", "/v1/jobs/" + encodeURIComponent(state.job)).then(pollJob)
        .catch(function (err) { showError("job-error", err.message); });
    });
    window.addEventListener("popstate", route);
    route();
  }

  document.addEventListener("DOMContentLoaded", setup);
})();

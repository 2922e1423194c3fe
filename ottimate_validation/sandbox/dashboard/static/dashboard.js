// The live request log: polls log.json for exchanges after the newest one shown, every few seconds, and
// only while the tab is visible; fetches an exchange's bodies when asked. Text is inserted as text only.
(function () {
  "use strict";
  var root = document.getElementById("log");
  if (!root) return;
  var rows = document.getElementById("log-rows");
  var status = document.getElementById("log-status");
  var pause = document.getElementById("log-pause");
  var last = Number(root.dataset.last);
  var marksVersion = root.dataset.marksVersion;
  var filters = root.dataset.filters;
  var exchangeBase = root.dataset.exchange;
  var paused = false;
  var busy = false;
  var MAX_ROWS = 1000;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function cell(tr, child, className) {
    var td = el("td", undefined, className);
    if (child instanceof Node) td.appendChild(child); else td.textContent = child;
    tr.appendChild(td);
    return td;
  }

  function render(row) {
    var tr = el("tr");
    var classes = [];
    if (row.control) classes.push("control");
    if (row.marks.length) classes.push("marked");
    if (row.marks.some(function (m) { return m.holds === false; })) classes.push("violation");
    tr.className = classes.join(" ");
    tr.dataset.seq = row.seq;
    var link = el("a", row.seq);
    link.href = exchangeBase + row.seq;
    cell(tr, link);
    var time = el("time", row.time);
    time.setAttribute("datetime", row.at);
    cell(tr, time);
    cell(tr, row.method);
    var path = el("td", row.path, "path");
    if (row.query) path.appendChild(el("span", "?" + row.query, "muted"));
    tr.appendChild(path);
    cell(tr, el("span", row.status, "badge h" + Math.floor(row.status / 100) + "xx"));
    cell(tr, row.duration, "num");
    cell(tr, row.user);
    cell(tr, el("code", row.key));
    var found = el("td");
    if (row.ref) { found.appendChild(el("code", row.ref, "ref")); found.appendChild(document.createTextNode(" ")); }
    row.marks.forEach(function (m) {
      var kind = m.holds === true ? "holds" : m.holds === null ? "unjudged" : "violation";
      var mark = el("span", (m.holds === true ? "✓ " : m.holds === null ? "? " : "✗ ") + m.rule, "mark " + kind);
      mark.title = m.finding;
      found.appendChild(mark);
      found.appendChild(el("span", m.finding, "mark-text"));
    });
    tr.appendChild(found);
    var button = el("button", "Bodies", "bodies quiet");
    button.type = "button";
    button.dataset.seq = row.seq;
    button.setAttribute("aria-expanded", "false");
    cell(tr, button);
    return tr;
  }

  function poll() {
    if (paused || busy || document.hidden) return;
    busy = true;
    var url = root.dataset.json + "?since=" + last + (filters ? "&" + filters : "");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          status.textContent = response.status === 401
            ? "Your dashboard session ended: reload the page to sign in again."
            : "The log could not be read (HTTP " + response.status + ").";
          return null;
        }
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        if (String(data.marks_version) !== marksVersion) { window.location.reload(); return; }
        if (data.rows.length) {
          var empty = rows.querySelector(".empty-row");
          if (empty) empty.remove();
          for (var i = data.rows.length - 1; i >= 0; i--) rows.insertBefore(render(data.rows[i]), rows.firstChild);
          while (rows.children.length > MAX_ROWS) rows.removeChild(rows.lastChild);
          status.textContent = data.rows.length + " new exchange" + (data.rows.length === 1 ? "" : "s") +
            " at " + new Date().toLocaleTimeString() + ".";
        }
        last = data.last;
      })
      .catch(function () { status.textContent = "The sandbox is not answering; trying again."; })
      .then(function () { busy = false; });
  }

  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
    status.textContent = paused ? "Paused." : "Live again.";
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("button.bodies");
    if (!button) return;
    var tr = button.closest("tr");
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("bodies-row")) {
      next.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    fetch(exchangeBase + button.dataset.seq + ".json", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var shown = el("tr", undefined, "bodies-row");
        var td = el("td");
        td.colSpan = 10;
        if (!data) {
          td.textContent = "This exchange is no longer in the log.";
        } else {
          [["Request body", data.request_body], ["Response body", data.response_body]].forEach(function (part) {
            var box = el("div", undefined, "body-box");
            box.appendChild(el("h3", part[0]));
            box.appendChild(part[1] === null ? el("p", "Not kept, or none.", "muted") : el("pre", part[1]));
            td.appendChild(box);
          });
        }
        shown.appendChild(td);
        tr.parentNode.insertBefore(shown, tr.nextSibling);
        button.setAttribute("aria-expanded", "true");
      });
  });

  setInterval(poll, Number(root.dataset.poll) || 2000);
  document.addEventListener("visibilitychange", poll);
})();

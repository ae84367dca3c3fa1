/* Gatehouse dashboard: progressive enhancement over server-rendered pages. Everything works without this
   file; with it, times read in the reader's time zone, deadlines count down, the pending board follows the
   server's approval stream live, and one-time tokens get a copy button. No framework, no build step. */
/* global document, window, EventSource, fetch, navigator, setTimeout, clearTimeout, setInterval */
(function () {
  "use strict";

  var FRAGMENT_HEADERS = { "x-gatehouse-fragment": "1" };

  // ---- Times and countdowns ----------------------------------------------------------------------------
  var absolute = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var thisYear = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var precise = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3 });

  function format(at, style, now) {
    if (style === "relative") return relative(at.getTime() - now);
    if (style === "precise") return precise.format(at);
    if (style === "short" && at.getFullYear() === new Date(now).getFullYear()) return thisYear.format(at);
    return absolute.format(at);
  }

  function relative(ms) {
    var s = Math.round(Math.abs(ms) / 1000);
    var text = s < 45 ? "just now" : s < 3600 ? Math.round(s / 60) + " min" : s < 86400 ? Math.round(s / 3600) + " h" : Math.round(s / 86400) + " d";
    if (text === "just now") return text;
    return ms <= 0 ? text + " ago" : "in " + text;
  }

  function left(ms) {
    if (ms <= 0) return "deadline passed";
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + " s left";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s left";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min left";
  }

  function renderTimes(root) {
    var now = Date.now();
    root.querySelectorAll("time[data-format]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      el.title = absolute.format(at);
      el.textContent = format(at, el.getAttribute("data-format"), now);
    });
    root.querySelectorAll("[data-expires]").forEach(function (el) {
      var ms = new Date(el.getAttribute("data-expires")).getTime() - now;
      el.textContent = left(ms);
      el.classList.toggle("is-urgent", ms < 60000);
    });
  }

  // ---- Copy buttons for one-time tokens ---------------------------------------------------------------
  function enhanceCopy(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.querySelector(button.getAttribute("data-copy"));
        var status = button.parentElement.querySelector("[data-copy-status]");
        if (!input) return;
        var done = function () { if (status) status.textContent = "Copied"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
        } else {
          input.select();
          if (document.execCommand && document.execCommand("copy")) done();
        }
      });
    });
    root.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  // ---- The live pending board -------------------------------------------------------------------------
  function liveBoard(board) {
    var url = board.getAttribute("data-live-board");
    var status = document.querySelector("[data-live-status]");
    var timer = null;
    var isFetching = false;
    var isAgain = false;

    function setState(state, text) {
      if (!status) return;
      status.setAttribute("data-state", state);
      status.textContent = text;
    }

    function refresh() {
      if (isFetching) { isAgain = true; return; }
      isFetching = true;
      fetch(url, { headers: FRAGMENT_HEADERS, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 401) { setState("offline", "Signed out: reload to sign in"); return null; }
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (text) { if (text !== null) swap(text); })
        .catch(function (error) {
          setState("offline", "Could not refresh (" + error.message + "); retrying");
          schedule(3000);
        })
        .then(function () {
          isFetching = false;
          if (isAgain) { isAgain = false; schedule(0); }
        });
    }

    function schedule(ms) {
      clearTimeout(timer);
      timer = setTimeout(refresh, ms);
    }

    // Keeps what the reviewer is typing (reason fields) and where the focus is across a refresh.
    function swap(text) {
      var kept = {};
      board.querySelectorAll("textarea[data-keep]").forEach(function (t) { if (t.value) kept[t.id] = t.value; });
      var focused = document.activeElement && board.contains(document.activeElement) ? document.activeElement.id : null;
      var before = {};
      board.querySelectorAll("[data-approval-id]").forEach(function (card) { before[card.getAttribute("data-approval-id")] = card.getAttribute("data-status"); });
      board.innerHTML = text;
      Object.keys(kept).forEach(function (id) {
        var t = document.getElementById(id);
        if (t) t.value = kept[id];
      });
      if (focused) {
        var again = document.getElementById(focused);
        if (again) again.focus();
      }
      board.querySelectorAll("[data-approval-id]").forEach(function (card) {
        if (before[card.getAttribute("data-approval-id")] === undefined) card.classList.add("is-new");
      });
      var count = board.querySelector("[data-pending-count]");
      if (count) document.title = (count.textContent !== "0" ? "(" + count.textContent + ") " : "") + "Pending approvals · Gatehouse";
      renderTimes(board);
      if (status && status.getAttribute("data-state") !== "live") setState("live", "Live");
    }

    if (!window.EventSource) return;
    setState("connecting", "Connecting…");
    var source = new EventSource("/api/approvals/stream");
    // Events are not replayed: after every (re)connect, fetch the board once to catch up.
    source.addEventListener("open", function () {
      setState("live", "Live");
      schedule(0);
    });
    source.addEventListener("change", function () { schedule(80); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) setState("offline", "Live updates stopped: reload the page");
      else setState("reconnecting", "Reconnecting…");
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // ---- One approval's page: say when it changed -------------------------------------------------------
  function liveCard(holder) {
    var id = holder.getAttribute("data-live-card");
    if (!window.EventSource) return;
    var source = new EventSource("/api/approvals/stream");
    source.addEventListener("change", function (event) {
      var change;
      try { change = JSON.parse(event.data); } catch { return; }
      if (change.id !== id || holder.querySelector("[data-changed]")) return;
      var note = document.createElement("p");
      note.className = "notice info";
      note.setAttribute("role", "status");
      note.setAttribute("data-changed", "");
      note.innerHTML = 'This approval changed (now <strong></strong>). <a href="">Reload to see it</a>.';
      note.querySelector("strong").textContent = String(change.status);
      holder.insertBefore(note, holder.firstChild);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  function start() {
    renderTimes(document);
    setInterval(function () { renderTimes(document); }, 1000);
    enhanceCopy(document);
    var board = document.querySelector("[data-live-board]");
    if (board) liveBoard(board);
    var card = document.querySelector("[data-live-card]");
    if (card) liveCard(card);
    enhancePolicyPages(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // ---- Policies page: the grant picker applies at once; a problem's "line 3, column 14" selects that spot --
  function enhancePolicyPages(root) {
    root.querySelectorAll("form[data-auto-submit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    root.querySelectorAll("[data-goto-line]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var editor = document.getElementById(link.getAttribute("href").slice(1));
        if (!editor) return;
        event.preventDefault();
        var offset = offsetOf(editor.value, Number(link.getAttribute("data-goto-line")), Number(link.getAttribute("data-goto-column")));
        // Scroll the page only when the editor is out of sight; the selection is what should move.
        editor.focus({ preventScroll: true });
        editor.scrollIntoView({ block: "nearest" });
        editor.setSelectionRange(offset, lineEnd(editor.value, offset));
        var lineHeight = parseFloat(window.getComputedStyle(editor).lineHeight) || 18;
        editor.scrollTop = Math.max(0, (Number(link.getAttribute("data-goto-line")) - 4) * lineHeight);
      });
    });
  }

  function offsetOf(text, line, column) {
    var offset = 0;
    for (var i = 1; i < line; i++) {
      var next = text.indexOf("\n", offset);
      if (next === -1) return text.length;
      offset = next + 1;
    }
    return Math.min(offset + Math.max(0, column - 1), lineEnd(text, offset));
  }

  function lineEnd(text, offset) {
    var end = text.indexOf("\n", offset);
    return end === -1 ? text.length : end;
  }
})();

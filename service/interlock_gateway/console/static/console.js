// Interlock console: progressive enhancement only — every flow works without this file.
// Undo countdowns, live batch progress (server-sent events), "select the page", the
// note required for "Other", and the browser's time zone on first visit. No inline code:
// the Content-Security-Policy forbids it.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-until]").forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.dataset.until) - now) / 1000));
      el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
      if (left === 0) {
        var form = el.parentElement && el.parentElement.querySelector("form");
        if (form) { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }
      }
    });
  }

  function rememberZone() {
    if (document.cookie.indexOf("ilc_tz=") !== -1) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      document.cookie = "ilc_tz=" + encodeURIComponent(zone) + "; path=/console; max-age=31536000; samesite=strict";
    }
  }

  function selectPage() {
    var all = document.getElementById("select-page");
    if (!all) { return; }
    all.addEventListener("change", function () {
      document.querySelectorAll("input.pick").forEach(function (box) { box.checked = all.checked; });
    });
  }

  function noteForOther() {
    var reason = document.getElementById("reason");
    var note = document.getElementById("note");
    if (!reason || !note) { return; }
    var sync = function () { note.required = reason.value === "other"; };
    reason.addEventListener("change", sync);
    sync();
  }

  function liveProgress() {
    var box = document.getElementById("progress");
    if (!box || box.dataset.finished === "true" || !window.EventSource) { return; }
    var source = new EventSource(box.dataset.events);
    var update = function (event) {
      var data = JSON.parse(event.data);
      Object.keys(data.by_account).forEach(function (account) {
        var row = box.querySelector('tr[data-account="' + CSS.escape(account) + '"]');
        if (!row) { return; }
        var c = data.by_account[account];
        var set = function (name, value) {
          var cell = row.querySelector('[data-count="' + name + '"]');
          if (cell) { cell.textContent = String(value); }
        };
        set("succeeded", c.succeeded); set("failed", c.failed); set("skipped", c.skipped);
        set("waiting", c.pending + c.in_flight + c.awaiting_approval); set("in_grace", c.in_grace);
        var bar = row.querySelector("progress");
        if (bar) {
          bar.max = c.pending + c.in_flight + c.succeeded + c.failed + c.skipped + c.awaiting_approval || 1;
          bar.value = c.succeeded + c.failed + c.skipped;
        }
      });
    };
    source.addEventListener("progress", update);
    source.addEventListener("done", function (event) {
      update(event);
      source.close();
      window.location.reload(); // the summary (failures, undo) is rendered by the server
    });
    source.onerror = function () { source.close(); };
  }

  document.addEventListener("DOMContentLoaded", function () {
    rememberZone();
    selectPage();
    noteForOther();
    liveProgress();
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
  });
})();

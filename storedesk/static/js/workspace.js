/* Storedesk workspace: keyboard shortcuts, bulk selection, composer tabs.
 * Small and dependency-free; htmx does the requests. Fetching new timeline entries is
 * live.js's job alone (one implementation, one request at a time).
 */
(function () {
  "use strict";

  function typingInField(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=true]"));
  }

  /* ---------- Relative times: <time data-relative datetime="..."> as "5 minutes ago" ---------- */
  var relativeUnits = [
    ["year", 31536000], ["month", 2592000], ["week", 604800],
    ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1],
  ];
  var language = document.documentElement.lang || "en";
  var relativeFormat = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(language, { numeric: "auto" }) : null;
  var fullFormat = window.Intl
    ? new Intl.DateTimeFormat(language, {
        dateStyle: "medium", timeStyle: "short",
        timeZone: document.body.dataset.timeZone || undefined,
      })
    : null;

  function relativeText(date) {
    var seconds = (date.getTime() - Date.now()) / 1000;
    for (var i = 0; i < relativeUnits.length; i += 1) {
      var unit = relativeUnits[i];
      if (Math.abs(seconds) >= unit[1] || unit[0] === "second") {
        return relativeFormat.format(Math.round(seconds / unit[1]), unit[0]);
      }
    }
    return "";
  }

  function renderRelativeTimes(root) {
    if (!relativeFormat) return;
    root.querySelectorAll("time[data-relative]").forEach(function (element) {
      var date = new Date(element.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      element.textContent = relativeText(date);
      if (fullFormat && !element.title) element.title = fullFormat.format(date);
    });
  }

  renderRelativeTimes(document);
  document.body.addEventListener("htmx:afterSettle", function (event) {
    renderRelativeTimes(event.target);
  });
  // Keeps "2 minutes ago" true while the page stays open.
  window.setInterval(function () { renderRelativeTimes(document); }, 60000);

  /* ---------- Composer: reply / note tabs, file names, Ctrl+Enter ---------- */
  function composerShow(tab) {
    var composer = document.getElementById("composer");
    if (!composer) return null;
    composer.dataset.tab = tab;
    composer.classList.toggle("composer--note", tab === "note");
    composer.classList.toggle("composer--reply", tab !== "note");
    composer.querySelectorAll("[data-composer-tab]").forEach(function (button) {
      button.setAttribute("aria-selected", String(button.dataset.composerTab === tab));
    });
    var reply = document.getElementById("reply-form");
    var note = document.getElementById("note-form");
    if (reply) reply.hidden = tab === "note";
    if (note) note.hidden = tab !== "note";
    var form = tab === "note" ? note : reply;
    var textarea = form ? form.querySelector("textarea") : null;
    if (textarea) textarea.focus();
    return textarea;
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-composer-tab]");
    if (tab) composerShow(tab.dataset.composerTab);
    var helpButton = event.target.closest("[data-help-open]");
    if (helpButton) showHelp();
    var clear = event.target.closest("[data-bulk-clear]");
    if (clear) {
      document.querySelectorAll("[data-row-check]:checked, [data-select-all]:checked")
        .forEach(function (box) { box.checked = false; });
      bulkUpdate();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[type=file]")) {
      var names = target.closest("form").querySelector("[data-file-names]");
      if (names) names.textContent = Array.from(target.files).map(function (f) { return f.name; }).join(", ");
    }
    if (target.matches("[data-autosubmit]")) {
      var form = target.form;
      if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
    }
    if (target.matches("[data-submit-on-change]") && target.form && window.htmx) {
      window.htmx.trigger(target.form, "submit");
    }
    if (target.matches("[data-row-check]")) {
      target.closest(".conv-row").classList.toggle("is-selected", target.checked);
      bulkUpdate();
    }
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll("[data-row-check]").forEach(function (box) {
        box.checked = target.checked;
        box.closest(".conv-row").classList.toggle("is-selected", target.checked);
      });
      bulkUpdate();
    }
    if (target.matches("[data-bulk-action]")) bulkActionChanged(target.value);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches("#composer textarea")) {
      event.preventDefault();
      var form = event.target.form;
      if (window.htmx) window.htmx.trigger(form, "submit"); else form.submit();
    }
  });

  /* ---------- Bulk selection ---------- */
  function bulkUpdate() {
    var bar = document.getElementById("bulk-form");
    if (!bar) return;
    var checked = document.querySelectorAll("[data-row-check]:checked").length;
    bar.hidden = checked === 0;
    var count = bar.querySelector("[data-bulk-count]");
    if (count) count.textContent = String(checked);
  }

  function bulkActionChanged(action) {
    document.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      var active = field.dataset.bulkFor === action;
      field.hidden = !active;
      field.disabled = !active;
    });
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "conversation-list") {
      keepCurrentRow();
      bulkUpdate();
    }
  });

  /* ---------- List navigation and shortcuts ---------- */
  // The selected row, by conversation number: a live refresh re-renders the list, and the
  // agent's place in it must survive that (a new mail arriving moves rows, not the selection).
  var currentNumber = null;

  function rows() { return Array.from(document.querySelectorAll("#conversation-list .conv-row")); }

  function currentIndex(list) {
    return list.findIndex(function (row) { return row.dataset.number === currentNumber; });
  }

  function currentRowElement() {
    var list = rows();
    return list[currentIndex(list)];
  }

  function selectRow(row, focus) {
    row.classList.add("is-current");
    currentNumber = row.dataset.number;
    var link = row.querySelector(".conv-link");
    if (focus && link) link.focus({ preventScroll: true });
  }

  // The swap dropped the old rows and with them the focus, which was on the selected row's link.
  function keepCurrentRow() {
    var focusLost = document.activeElement === document.body;
    var row = currentRowElement();
    if (row) selectRow(row, focusLost); else currentNumber = null;
  }

  function moveRow(step) {
    var list = rows();
    if (!list.length) return false;
    var index = currentIndex(list);
    if (index >= 0) list[index].classList.remove("is-current");
    var row = list[Math.min(Math.max(index + step, 0), list.length - 1)];
    selectRow(row, true);
    row.scrollIntoView({ block: "nearest" });
    return true;
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (link) window.location.href = link.href;
  }

  function showHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  var shortcuts = {
    j: function () { if (!moveRow(1)) follow("next-conversation"); },
    k: function () { if (!moveRow(-1)) follow("prev-conversation"); },
    o: function () { openCurrent(); },
    x: function () {
      var row = currentRowElement();
      var box = row && row.querySelector("[data-row-check]");
      if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
    },
    r: function () { composerShow("reply"); },
    n: function () { composerShow("note"); },
    u: function () { var up = document.querySelector("[data-shortcut-up]"); if (up) window.location.href = up.href; },
    "/": function () { var search = document.getElementById("global-search"); if (search) { search.focus(); search.select(); } },
    "?": showHelp,
  };

  function openCurrent() {
    var row = currentRowElement();
    var link = row && row.querySelector(".conv-link");
    if (link) window.location.href = link.href;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingInField(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (document.querySelector("dialog[open]")) return;
    var action = shortcuts[event.key];
    if (event.key === "Enter" && currentNumber !== null && document.activeElement === document.body) action = openCurrent;
    if (!action) return;
    event.preventDefault();
    action();
  });
})();

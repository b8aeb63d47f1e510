/* The workspace's knowledge panel (#kb-quick): "f" or any [data-kb-quick-open] opens it;
 * htmx searches as the agent types. On a conversation page, "Insert link"/"Insert text"
 * asks the server for the article in the customer's language (which also records the use)
 * and puts it into the reply box at the cursor. */
(function () {
  "use strict";
  var script = document.currentScript;
  var insertUrl = script ? script.dataset.insertUrl : "";

  function dialog() { return document.getElementById("kb-quick"); }

  function typingInField(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function conversationNumber() {
    var timeline = document.getElementById("timeline");
    return timeline ? timeline.dataset.number || "" : "";
  }

  function open() {
    var panel = dialog();
    if (!panel || panel.open) return;
    document.getElementById("kb-quick-conversation").value = conversationNumber();
    panel.showModal();
    var input = document.getElementById("kb-quick-q");
    input.focus();
    input.select();
    if (window.htmx) window.htmx.trigger(input, "kb-quick-open");
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    var before = value.slice(0, start), after = value.slice(end);
    var glue = before && !/\n$/.test(before) ? "\n\n" : "";
    textarea.value = before + glue + text + (after ? "\n\n" : "") + after;
    var caret = (before + glue + text).length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function insert(button) {
    var hit = button.closest("[data-article]");
    var body = new FormData();
    body.append("conversation", conversationNumber());
    body.append("mode", button.dataset.kbInsert);
    button.disabled = true;
    fetch(insertUrl.replace("/0/", "/" + hit.dataset.article + "/"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (data) {
      var replyTab = document.querySelector('[data-composer-tab="reply"]');
      if (replyTab && replyTab.getAttribute("aria-selected") !== "true") replyTab.click();
      var textarea = document.querySelector("#reply-form textarea");
      dialog().close();
      if (textarea) { insertAtCursor(textarea, data.text); textarea.focus(); }
    }).catch(function () {
      button.disabled = false;
      button.classList.add("btn-danger-text");
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-kb-quick-open]")) { event.preventDefault(); open(); return; }
    var button = event.target.closest("#kb-quick [data-kb-insert]");
    if (button) insert(button);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "f" || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingInField(event.target) || document.querySelector("dialog[open]")) return;
    event.preventDefault();
    open();
  });
})();

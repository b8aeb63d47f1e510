/* Article suggestions as the customer types.
 *
 * [data-kb-suggest-box] (contact form): watches the inputs named in data-kb-inputs, shows the
 * server-rendered suggestions, records "opened" (a suggestion expanded) and "answered", and
 * puts the visit's key into the form as kb_session so a sent request is counted too.
 * input[data-kb-session]: filled with the visit's key, for other searches to send along.
 * The visit's key lives in sessionStorage, so the help centre and the contact form of one
 * visit share it: a search followed by a request shows on the content-gaps page.
 */
(function () {
  "use strict";
  var STORAGE_KEY = "storedesk.kb.session";
  var DELAY_MS = 250;
  var MAX_QUERY = 200;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var memoryKey = null;
  function sessionKey() {
    try {
      var key = window.sessionStorage.getItem(STORAGE_KEY);
      if (!key) { key = newKey(); window.sessionStorage.setItem(STORAGE_KEY, key); }
      return key;
    } catch (e) {  // storage disabled: one key per page
      memoryKey = memoryKey || newKey();
      return memoryKey;
    }
  }

  function debounce(fn) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, DELAY_MS); };
  }

  function record(url, article, kind) {
    var body = new FormData();
    body.append("s", sessionKey());
    body.append("article", article);
    body.append("kind", kind);
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
    fetch(url, { method: "POST", body: body, keepalive: true, credentials: "same-origin" });
  }

  // Fetches for one input at a time; a newer query cancels the older request.
  function fetcher() {
    var controller = null;
    return function (url, params, as) {
      if (controller) controller.abort();
      controller = new AbortController();
      return fetch(url + "?" + new URLSearchParams(params), { signal: controller.signal, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response[as]() : null; })
        .catch(function () { return null; });
    };
  }

  function initBox(box) {
    var inputs = box.dataset.kbInputs.split(",").map(function (s) { return document.querySelector(s); })
      .filter(Boolean);
    var results = box.querySelector("[data-kb-results]");
    var eventUrl = box.dataset.kbEventUrl;
    var form = box.closest("form") || (inputs[0] && inputs[0].form);
    if (form && !form.querySelector("input[name=kb_session]")) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "kb_session"; hidden.value = sessionKey();
      form.appendChild(hidden);
    }
    var get = fetcher();
    var last = "";
    var update = debounce(function () {
      var query = inputs.map(function (i) { return i.value; }).join(" ").replace(/\s+/g, " ").trim().slice(0, MAX_QUERY);
      if (query === last) return;
      last = query;
      if (query.length < 3) { results.innerHTML = ""; return; }
      get(box.dataset.kbSuggestUrl, { q: query, lang: box.dataset.kbLang, s: sessionKey(), source: box.dataset.kbSource }, "text")
        .then(function (html) { if (html !== null) results.innerHTML = html; });
    });
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    // "toggle" does not bubble; listen in the capture phase.
    results.addEventListener("toggle", function (event) {
      var details = event.target;
      if (details.open && details.dataset && details.dataset.kbArticle) record(eventUrl, details.dataset.kbArticle, "opened");
    }, true);
    results.addEventListener("click", function (event) {
      var button = event.target.closest("[data-kb-answered]");
      if (!button) return;
      record(eventUrl, button.closest("[data-kb-article]").dataset.kbArticle, "answered");
      button.disabled = true;
      var thanks = results.querySelector("[data-kb-thanks]");
      if (thanks) thanks.hidden = false;
    });
  }

  function init() {
    // Forms that search elsewhere (the help centre's) log under the same visit key.
    document.querySelectorAll("input[data-kb-session]").forEach(function (input) { input.value = sessionKey(); });
    document.querySelectorAll("[data-kb-suggest-box]").forEach(initBox);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

/*
 * The agent chat console (/chat/console/) over the agent chat socket (/ws/chat/agent/,
 * storedesk/chat/consumers.py; frames in /tmp/chat-contract.md and docs/subsystems/chat.md).
 *
 * - Up to three chats side by side. Each pane's timeline is filled from the socket: "join"
 *   with the last sequence the pane has, and the server sends exactly the entries after it,
 *   then live ones. Entries are de-duplicated and kept in sequence order.
 * - Entry text is plain text (never innerHTML): the visitor typed it.
 * - A message carries a client id; it goes over the socket (or, while the socket is down,
 *   by HTTP POST) and is re-sent after a reconnect until acknowledged. The server keeps the
 *   first of any retries, so nothing is sent twice.
 * - The side panel (seats, chats, queue) is server-rendered; frames that change it only
 *   trigger "console:refresh" and htmx re-fetches it.
 * - The connection (reconnects, offline, signed out) is socket.js's, as for live.js.
 *
 * window.storedeskChatConsole exposes the state for end-to-end tests.
 */
(function () {
  "use strict";

  var root = document.getElementById("chat-console");
  if (!root) return;

  var TYPING_RESEND_MS = 3000;
  var TYPING_IDLE_MS = 4000;
  var SIDE_DEBOUNCE_MS = 150;

  var panesElement = document.getElementById("console-panes");
  var emptyElement = root.parentElement.querySelector("[data-panes-empty]");
  var connectionElement = document.getElementById("console-connection");
  var visibleMax = parseInt(panesElement.dataset.visibleMax, 10) || 3;
  var texts = root.dataset;
  var canned = readJson("console-canned", []);
  var stateLabels = readJson("console-state-labels", {});

  var state = {
    panes: {}, // conversation id -> pane record
    pending: {}, // client id -> {conversation, text, note}
    frames: 0,
    sequences: sequencesOf,
    openPane: openPane,
  };
  window.storedeskChatConsole = state;

  var connection = window.storedeskSocket({
    path: root.dataset.socketPath,
    backoffFirstMs: 500,
    backoffMaxMs: 15000,
    onOpen: onOpen,
    onFrame: onFrame,
    onChange: function () { connectionElement.hidden = connection.connected; },
  });
  ["connected", "signedOut"].forEach(function (name) {
    Object.defineProperty(state, name, {
      enumerable: true,
      get: function () { return connection[name]; },
    });
  });
  var send = connection.send;
  var sideTimer = null;
  var unseen = 0;
  var baseTitle = document.title;

  /* ---- small helpers ------------------------------------------------------------- */

  function readJson(id, fallback) {
    var element = document.getElementById(id);
    try { return element ? JSON.parse(element.textContent) : fallback; } catch (error) { return fallback; }
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csrfToken() {
    var input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function refreshSide() {
    window.clearTimeout(sideTimer);
    sideTimer = window.setTimeout(function () {
      if (window.htmx) window.htmx.trigger(document.body, "console:refresh");
    }, SIDE_DEBOUNCE_MS);
  }

  function sequencesOf(conversation) {
    var pane = state.panes[conversation];
    if (!pane) return [];
    return Array.prototype.map.call(pane.timeline.querySelectorAll("[data-sequence]"), function (node) {
      return parseInt(node.dataset.sequence, 10);
    });
  }

  /* ---- socket ---------------------------------------------------------------------- */

  function onOpen() {
    Object.keys(state.panes).forEach(function (id) { join(state.panes[id]); });
    Object.keys(state.pending).forEach(function (clientId) { sendPending(clientId); });
    refreshSide();
  }

  var handlers = {
    hello: function (frame) {
      refreshSide();
      (frame.chats || []).forEach(function (chat) {
        if (state.panes[chat.conversation]) return; // already open (a reconnect's hello)
        if (hasRoom()) openPane(chat.conversation);
      });
    },
    entry: function (frame) { entryAdd(frame.conversation, frame.entry); },
    ack: function (frame) { delete state.pending[frame.client_id]; },
    assigned: function (frame) {
      refreshSide();
      notify();
      if (hasRoom()) openPane(frame.chat.conversation);
    },
    unassigned: function (frame) {
      refreshSide();
      // Transferred or timed out: gone. Ended: kept, so the agent sees how it ended.
      var pane = state.panes[frame.conversation];
      if (pane && isEnded(pane)) return;
      closePane(frame.conversation);
    },
    state: function (frame) { stateShow(frame.conversation, frame.chat); refreshSide(); },
    queue: refreshSide,
    agent: refreshSide,
    typing: function (frame) { typingShow(frame.conversation, frame.is_typing); },
    read: function (frame) { readShow(frame.conversation, frame.sequence); },
    error: function (frame) {
      var pane = state.panes[frame.conversation];
      if (pane) errorShow(pane, frame.message || frame.code);
      if (frame.client_id) delete state.pending[frame.client_id]; // refused: a retry won't help
    },
  };

  function onFrame(frame) {
    state.frames += 1;
    var handler = handlers[frame.type];
    if (handler) handler(frame);
  }

  /* ---- panes ----------------------------------------------------------------------- */

  function paneUrl(conversation) {
    return root.dataset.paneUrl.replace(/\/0\/$/, "/" + conversation + "/");
  }

  function openPane(conversation) {
    conversation = parseInt(conversation, 10);
    var existing = state.panes[conversation];
    if (existing) {
      if (!existing.loading) existing.text.focus();
      return Promise.resolve(existing);
    }
    if (Object.keys(state.panes).length >= visibleMax) closePane(oldestPane());
    var slot = element("div", "console-pane-slot");
    slot.dataset.conversation = String(conversation);
    panesElement.appendChild(slot);
    state.panes[conversation] = { slot: slot, loading: true };
    return fetch(paneUrl(conversation), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        if (state.panes[conversation] === undefined || state.panes[conversation].slot !== slot) return null;
        slot.innerHTML = html;
        if (window.htmx) window.htmx.process(slot);
        var pane = paneSetUp(conversation, slot);
        state.panes[conversation] = pane;
        emptyElement.hidden = true;
        join(pane);
        return pane;
      })
      .catch(function () {
        slot.remove();
        delete state.panes[conversation];
        emptyShow();
      });
  }

  function isEnded(pane) { return !pane.loading && pane.article.dataset.state === "ended"; }

  // A new chat opens by itself while fewer than three are shown, or in an ended chat's place.
  function hasRoom() {
    var ids = Object.keys(state.panes);
    return ids.length < visibleMax || ids.some(function (id) { return isEnded(state.panes[id]); });
  }

  // The pane to give up for a new one: an ended chat first, else the one opened longest ago.
  function oldestPane() {
    function rank(id) {
      var pane = state.panes[id];
      return (isEnded(pane) ? 0 : 1e15) + (pane.openedAt || 0);
    }
    var ids = Object.keys(state.panes).map(Number);
    ids.sort(function (a, b) { return rank(a) - rank(b); });
    return ids[0];
  }

  function closePane(conversation) {
    var pane = state.panes[conversation];
    if (!pane) return;
    delete state.panes[conversation];
    send({ type: "leave", conversation: conversation });
    pane.slot.remove();
    emptyShow();
  }

  function emptyShow() {
    emptyElement.hidden = Object.keys(state.panes).length > 0;
  }

  function join(pane) {
    if (pane.loading) return;
    send({ type: "join", conversation: pane.conversation, after: pane.last });
  }

  function paneSetUp(conversation, slot) {
    var article = slot.querySelector(".console-pane");
    var pane = {
      conversation: conversation,
      slot: slot,
      article: article,
      timeline: article.querySelector("[data-timeline]"),
      typing: article.querySelector("[data-typing]"),
      text: article.querySelector("[data-composer-text]"),
      note: article.querySelector("[data-composer-note]"),
      error: article.querySelector("[data-composer-error]"),
      sendButton: article.querySelector("[data-composer-send]"),
      last: 0,
      typingSentAt: 0,
      typingTimer: null,
      openedAt: Date.now(),
    };
    var form = article.querySelector("[data-composer]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      composerSend(pane);
    });
    pane.text.addEventListener("keydown", function (event) { composerKey(pane, event); });
    pane.text.addEventListener("input", function () { typingSend(pane); });
    cannedPickerFill(pane, article.querySelector("[data-canned-select]"));
    article.querySelector("[data-close-pane]").addEventListener("click", function () {
      closePane(conversation);
    });
    return pane;
  }

  /* ---- timeline ---------------------------------------------------------------------- */

  function entryAdd(conversation, entry) {
    var pane = state.panes[conversation];
    if (!pane || pane.loading) return;
    if (pane.timeline.querySelector('[data-sequence="' + entry.sequence + '"]')) return;
    var node = entryRender(entry);
    if (entry.client_id) {
      var pending = pane.timeline.querySelector('[data-pending="' + CSS.escape(entry.client_id) + '"]');
      if (pending) pending.remove();
    }
    // In sequence order, whatever order frames and HTTP answers arrived in.
    var after = null;
    var nodes = pane.timeline.querySelectorAll("[data-sequence]");
    for (var i = nodes.length - 1; i >= 0; i -= 1) {
      if (parseInt(nodes[i].dataset.sequence, 10) < entry.sequence) { after = nodes[i]; break; }
    }
    if (after) after.after(node);
    else pane.timeline.insertBefore(node, pane.timeline.firstChild);
    // Pending bubbles stay last.
    pane.timeline.querySelectorAll("[data-pending]").forEach(function (bubble) {
      pane.timeline.appendChild(bubble);
    });
    pane.last = Math.max(pane.last, entry.sequence);
    pane.timeline.dataset.lastSequence = String(pane.last);
    node.scrollIntoView({ block: "nearest" });
    if (entry.author === "visitor") {
      typingShow(conversation, false);
      readSend(pane);
      if (document.hidden) notify();
    }
  }

  function entryRender(entry) {
    if (entry.kind === "event") {
      var line = element("li", "event", entry.text + (entry.author_name ? " · " + entry.author_name : ""));
      line.dataset.sequence = String(entry.sequence);
      return line;
    }
    var kind = entry.kind === "note" ? "note" : entry.author === "visitor" ? "inbound" : "outbound";
    var node = element("li", "message message--" + kind);
    node.dataset.sequence = String(entry.sequence);
    node.dataset.author = entry.author;
    var head = element("header", "message-head");
    head.appendChild(element("span", "message-author", entry.author_name));
    if (entry.kind === "note") head.appendChild(element("span", "message-kind", texts.textNote));
    var time = element("time", "message-time", timeText(entry.created_at));
    time.setAttribute("datetime", entry.created_at);
    head.appendChild(time);
    if (entry.author === "agent" && entry.kind !== "note") {
      head.appendChild(element("span", "delivery", ""));
    }
    node.appendChild(head);
    node.appendChild(element("div", "message-body console-text", entry.text));
    if (entry.attachments && entry.attachments.length) {
      var list = element("ul", "attachments");
      entry.attachments.forEach(function (file) {
        var item = element("li");
        var link = element("a", "attachment", file.name);
        link.href = "/conversations/attachments/" + file.id + "/";
        link.setAttribute("download", "");
        item.appendChild(link);
        list.appendChild(item);
      });
      node.appendChild(list);
    }
    return node;
  }

  function timeText(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function readSend(pane) {
    if (document.hidden) return;
    send({ type: "read", conversation: pane.conversation, sequence: pane.last });
  }

  function readShow(conversation, sequence) {
    var pane = state.panes[conversation];
    if (!pane) return;
    pane.timeline.querySelectorAll('[data-author="agent"] .delivery').forEach(function (mark) {
      var seq = parseInt(mark.closest("[data-sequence]").dataset.sequence, 10);
      if (seq <= sequence) mark.textContent = texts.textSeen;
    });
  }

  function typingShow(conversation, isTyping) {
    var pane = state.panes[conversation];
    if (!pane) return;
    pane.typing.textContent = isTyping ? texts.textTyping : "";
  }

  function stateShow(conversation, chat) {
    var pane = state.panes[conversation];
    if (!pane || !chat) return;
    pane.article.dataset.state = chat.state;
    var label = pane.article.querySelector("[data-state-label]");
    label.textContent = stateLabels[chat.state] || chat.state;
    label.className = "badge console-state console-state--" + chat.state;
    var ended = chat.state === "ended";
    pane.article.querySelector("[data-ended-notice]").hidden = !ended;
    pane.text.disabled = ended;
    pane.sendButton.disabled = ended;
    var endButton = pane.article.querySelector("[data-end-button]");
    if (endButton) endButton.disabled = ended;
    if (ended) typingShow(conversation, false);
  }

  function errorShow(pane, message) {
    pane.error.textContent = message;
    pane.error.hidden = !message;
  }

  /* ---- composer ---------------------------------------------------------------------- */

  function composerKey(pane, event) {
    var shortcut = /^\/(\S+)$/.exec(pane.text.value.trim());
    if ((event.key === "Tab" || event.key === "Enter") && shortcut) {
      var reply = cannedFind(shortcut[1]);
      if (reply) {
        event.preventDefault();
        pane.text.value = reply.text;
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composerSend(pane);
    }
  }

  function composerSend(pane) {
    var text = pane.text.value.trim();
    if (!text || pane.text.disabled) return;
    var clientId = newClientId();
    var isNote = Boolean(pane.note && pane.note.checked);
    state.pending[clientId] = { conversation: pane.conversation, text: text, note: isNote };
    var bubble = element("li", "message console-pending message--" + (isNote ? "note" : "outbound"));
    bubble.dataset.pending = clientId;
    bubble.appendChild(element("div", "message-body console-text", text));
    bubble.appendChild(element("span", "delivery", texts.textSending));
    pane.timeline.appendChild(bubble);
    bubble.scrollIntoView({ block: "nearest" });
    pane.text.value = "";
    if (pane.note) pane.note.checked = false;
    errorShow(pane, "");
    typingStop(pane);
    sendPending(clientId);
  }

  function sendPending(clientId) {
    var message = state.pending[clientId];
    if (!message) return;
    var frame = { type: "send", conversation: message.conversation, client_id: clientId,
                  text: message.text, note: message.note };
    if (send(frame)) return;
    // The socket is down: HTTP reaches the same service; the socket's catch-up shows it.
    var pane = state.panes[message.conversation];
    if (!pane || pane.loading) return; // re-sent once the pane and the socket are back
    fetch(pane.article.dataset.messagesUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ client_id: clientId, text: message.text, note: message.note }),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.ok) {
          // Stored; the entry itself comes with the socket's catch-up after it reconnects.
          delete state.pending[clientId];
        } else if (response.status < 500) {
          delete state.pending[clientId];
          errorShow(pane, body.message || body.error || String(response.status));
        }
      });
    }).catch(function () { /* offline: re-sent when the socket opens again */ });
  }

  function typingSend(pane) {
    var now = Date.now();
    if (now - pane.typingSentAt > TYPING_RESEND_MS) {
      pane.typingSentAt = now;
      send({ type: "typing", conversation: pane.conversation, is_typing: true });
    }
    window.clearTimeout(pane.typingTimer);
    pane.typingTimer = window.setTimeout(function () { typingStop(pane); }, TYPING_IDLE_MS);
  }

  function typingStop(pane) {
    window.clearTimeout(pane.typingTimer);
    if (pane.typingSentAt === 0) return;
    pane.typingSentAt = 0;
    send({ type: "typing", conversation: pane.conversation, is_typing: false });
  }

  /* ---- canned replies ---------------------------------------------------------------- */

  function cannedFind(shortcut) {
    for (var i = 0; i < canned.length; i += 1) {
      if (canned[i].shortcut && canned[i].shortcut === shortcut) return canned[i];
    }
    return null;
  }

  function cannedPickerFill(pane, select) {
    if (!select) return;
    if (!canned.length) { select.hidden = true; return; }
    canned.forEach(function (reply, index) {
      var option = element("option", "", reply.title);
      option.value = String(index);
      select.appendChild(option);
    });
    select.addEventListener("change", function () {
      var reply = canned[parseInt(select.value, 10)];
      select.value = "";
      if (!reply) return;
      var text = pane.text;
      var start = text.selectionStart || 0;
      text.value = text.value.slice(0, start) + reply.text + text.value.slice(text.selectionEnd || start);
      text.focus();
    });
  }

  /* ---- chat list and notifications ------------------------------------------------- */

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-open-chat]");
    if (!link) return;
    event.preventDefault();
    openPane(link.dataset.openChat);
  });

  function notify() {
    if (!document.hidden) return;
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    unseen = 0;
    document.title = baseTitle;
    Object.keys(state.panes).forEach(function (id) {
      var pane = state.panes[id];
      if (!pane.loading) readSend(pane);
    });
  });

  connection.start();
})();

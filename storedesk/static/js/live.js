/*
 * Live updates for the agent workspace over /ws/agent/ (storedesk/conversations/consumers.py).
 *
 * The socket only says *that* something changed (ids and timeline sequence numbers); content
 * always comes over HTTP, from the same views that render the page:
 *   - conversation page: new timeline entries from #timeline[data-timeline-url]?after=N,
 *     the header through its own hx-trigger ("storedesk:header-changed" on body);
 *   - inbox page: the list through its hx-trigger ("storedesk:list-changed" on body).
 * A page that was offline re-watches with the last sequence it has and gets the numbers it
 * missed, so nothing depends on the socket never dropping (the connection: socket.js).
 *
 * window.storedeskLive exposes the state for end-to-end tests and for workspace.js.
 */
(function () {
  "use strict";

  var LIST_DEBOUNCE_MS = 300;
  // "replying" is re-sent at most this often while typing, which also keeps it fresh...
  var REPLYING_RESEND_MS = 10000;
  // ...and shown for this long without news before it falls back to "viewing".
  var REPLYING_SHOWN_MS = 30000;
  // Moving focus between the reply and note boxes should not flicker "viewing".
  var BLUR_GRACE_MS = 600;

  var live = {
    conversationId: null,
    presence: {}, // agent id -> {name, state, at}
    lastCatchup: null, // the sequences the server last said we had missed
    refreshTimeline: refreshTimeline,
    frames: 0,
  };
  // The page's data-last-sequence is the one truth: workspace.js appends entries as well.
  Object.defineProperty(live, "lastSequence", { enumerable: true, get: lastSequence });
  window.storedeskLive = live;

  var connection = window.storedeskSocket({
    path: "/ws/agent/",
    backoffFirstMs: 1000,
    backoffMaxMs: 30000,
    onOpen: onOpen,
    onFrame: onFrame,
    onOnline: onOnline,
  });
  ["connected", "signedOut"].forEach(function (name) {
    Object.defineProperty(live, name, {
      enumerable: true,
      get: function () { return connection[name]; },
    });
  });
  var send = connection.send;
  var listTimer = null;
  var myState = "viewing";
  var replyingSentAt = 0;
  var blurTimer = null;

  function timelineElement() { return document.getElementById("timeline"); }

  function lastSequence() {
    var timeline = timelineElement();
    return timeline ? parseInt(timeline.dataset.lastSequence, 10) || 0 : 0;
  }

  /* ---- connection ---------------------------------------------------------------- */

  function onOpen() {
    live.presence = {};
    renderPresence();
    if (live.conversationId !== null) {
      // The server answers with the sequences we missed and tells the others we're here.
      send({ type: "watch", conversation: live.conversationId, after: lastSequence() });
      myState = "viewing";
      if (isPresenceField(document.activeElement)) setState("replying");
    } else if (document.getElementById("conversation-list")) {
      scheduleListRefresh(); // whatever happened while we were away
    }
  }

  // Back online with the socket still up: a fetch that failed meanwhile is redone. (Without
  // it, the reconnect's watch and catch-up, or list refresh, bring what was missed.)
  function onOnline() {
    if (live.conversationId !== null) {
      refreshTimeline();
      trigger("storedesk:header-changed");
    } else if (document.getElementById("conversation-list")) {
      scheduleListRefresh();
    }
  }

  /* ---- server frames ------------------------------------------------------------- */

  function onFrame(frame) {
    live.frames += 1;
    if (frame.type === "catchup") {
      onCatchup(frame);
    } else if (frame.type === "event") {
      onEvent(frame);
    }
  }

  function onCatchup(frame) {
    if (frame.conversation !== live.conversationId) return;
    live.lastCatchup = frame.sequences;
    var missed = frame.sequences.some(function (sequence) { return sequence > lastSequence(); });
    if (missed) {
      refreshTimeline();
      trigger("storedesk:header-changed"); // status or assignee may have changed meanwhile
    }
  }

  function onEvent(event) {
    if (event.name === "presence.changed") {
      onPresence(event);
      return;
    }
    if (live.conversationId !== null) {
      if (event.conversation_id !== live.conversationId) return;
      if (event.name === "timeline.appended" && event.sequence > lastSequence()) {
        refreshTimeline();
      } else if (event.name === "conversation.updated") {
        var fields = (event.data && event.data.fields) || [];
        if (fields.indexOf("delivery_status") !== -1) refreshDelivery();
        else trigger("storedesk:header-changed");
      }
    } else if (document.getElementById("conversation-list")) {
      scheduleListRefresh();
    }
  }

  function trigger(name) {
    document.body.dispatchEvent(new CustomEvent(name, { bubbles: true }));
  }

  /* ---- timeline ------------------------------------------------------------------ */

  var fetching = false;
  var fetchAgain = false;

  // One request at a time; a change announced meanwhile is fetched right after.
  function refreshTimeline() {
    var timeline = timelineElement();
    if (!timeline || !timeline.dataset.timelineUrl) return Promise.resolve();
    if (fetching) {
      fetchAgain = true;
      return Promise.resolve();
    }
    fetching = true;
    fetchAgain = false;
    var url = timeline.dataset.timelineUrl + "?after=" + encodeURIComponent(lastSequence());
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error("timeline " + response.status);
        return response.text();
      })
      .then(appendEntries)
      .catch(function () { /* offline or signed out: the next event or reconnect retries */ })
      .then(function () {
        fetching = false;
        if (fetchAgain) return refreshTimeline();
      });
  }

  function appendEntries(html) {
    var timeline = timelineElement();
    var template = document.createElement("template");
    template.innerHTML = html;
    var last = lastSequence();
    var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    Array.prototype.forEach.call(template.content.querySelectorAll("[data-sequence]"), function (entry) {
      var sequence = parseInt(entry.dataset.sequence, 10);
      // Duplicates are normal: an entry may arrive both live and in a catch-up.
      if (isNaN(sequence) || timeline.querySelector('[data-sequence="' + sequence + '"]')) return;
      entry.classList.add("is-new");
      timeline.insertBefore(entry, firstEntryAfter(timeline, sequence));
      if (window.htmx) window.htmx.process(entry);
      last = Math.max(last, sequence);
    });
    timeline.dataset.lastSequence = String(last);
    if (atBottom) window.scrollTo(0, document.body.scrollHeight);
  }

  function firstEntryAfter(timeline, sequence) {
    var entries = timeline.querySelectorAll("[data-sequence]");
    for (var i = 0; i < entries.length; i += 1) {
      if (parseInt(entries[i].dataset.sequence, 10) > sequence) return entries[i];
    }
    return null;
  }

  // A reply moved from queued to sent, failed or bounced: its status is replaced in place.
  function refreshDelivery() {
    var timeline = timelineElement();
    if (!timeline || !timeline.dataset.deliveryUrl) return Promise.resolve();
    return fetch(timeline.dataset.deliveryUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error("delivery " + response.status);
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        Array.prototype.forEach.call(template.content.querySelectorAll("[id^=delivery-]"), function (status) {
          var shown = document.getElementById(status.id);
          if (shown) shown.replaceWith(status);
        });
      })
      .catch(function () { /* offline or signed out: the page shows it on the next load */ });
  }

  /* ---- inbox list ---------------------------------------------------------------- */

  function scheduleListRefresh() {
    if (listTimer !== null) window.clearTimeout(listTimer);
    listTimer = window.setTimeout(refreshList, LIST_DEBOUNCE_MS);
  }

  function refreshList() {
    listTimer = null;
    var list = document.getElementById("conversation-list");
    if (!list) return;
    // A re-render would drop the agent's bulk selection; wait until it is used or cleared.
    if (list.querySelector("input[type=checkbox]:checked")) {
      listTimer = window.setTimeout(refreshList, 2000);
      return;
    }
    trigger("storedesk:list-changed");
  }

  /* ---- presence ------------------------------------------------------------------ */

  function isPresenceField(element) {
    return Boolean(element && element.closest && element.closest("[data-presence]"));
  }

  function setState(state) {
    var now = Date.now();
    if (state === myState && (state !== "replying" || now - replyingSentAt < REPLYING_RESEND_MS)) {
      return;
    }
    myState = state;
    if (state === "replying") replyingSentAt = now;
    send({ type: "presence", conversation: live.conversationId, state: state });
  }

  function onPresence(event) {
    if (event.conversation_id !== live.conversationId) return;
    var data = event.data;
    if (data.state === "left") {
      delete live.presence[data.agent_id];
    } else {
      live.presence[data.agent_id] = { name: data.name, state: data.state, at: Date.now() };
    }
    renderPresence();
  }

  function presenceText(state, name) {
    var notice = document.getElementById("collision-notice");
    var fallback = { viewing: "{name} is also viewing", replying: "{name} is replying…" };
    var key = state === "replying" ? "textReplying" : "textViewing";
    var text = (notice && notice.dataset[key]) || fallback[state];
    return text.replace("{name}", name);
  }

  function renderPresence() {
    var notice = document.getElementById("collision-notice");
    if (!notice) return;
    var now = Date.now();
    var lines = Object.keys(live.presence).sort().map(function (id) {
      var person = live.presence[id];
      var stale = person.state === "replying" && now - person.at > REPLYING_SHOWN_MS;
      var line = document.createElement("p");
      line.className = "collision-line collision-line--" + (stale ? "viewing" : person.state);
      line.dataset.agentId = id;
      line.textContent = presenceText(stale ? "viewing" : person.state, person.name);
      return line;
    });
    notice.replaceChildren.apply(notice, lines);
    notice.hidden = lines.length === 0;
  }

  function watchPresenceFields() {
    document.addEventListener("focusin", function (event) {
      if (!isPresenceField(event.target)) return;
      if (blurTimer !== null) window.clearTimeout(blurTimer);
      blurTimer = null;
      setState("replying");
    });
    document.addEventListener("input", function (event) {
      if (isPresenceField(event.target)) setState("replying");
    });
    document.addEventListener("focusout", function (event) {
      if (!isPresenceField(event.target)) return;
      blurTimer = window.setTimeout(function () {
        blurTimer = null;
        if (!isPresenceField(document.activeElement)) setState("viewing");
      }, BLUR_GRACE_MS);
    });
    // Sending swaps the composer out; a removed field gets no focusout, so look after swaps.
    document.body.addEventListener("htmx:afterSwap", function () {
      if (myState === "replying" && !isPresenceField(document.activeElement)) setState("viewing");
    });
    window.addEventListener("pagehide", function () { setState("left"); });
    window.setInterval(renderPresence, 5000); // let a silent "replying" fade to "viewing"
  }

  /* ---- start --------------------------------------------------------------------- */

  function start() {
    var timeline = timelineElement();
    if (timeline) {
      live.conversationId = parseInt(timeline.dataset.conversationId, 10);
      watchPresenceFields();
      // htmx's answer to our own reply or action: fetch now rather than wait for the socket.
      document.body.addEventListener("storedesk:timeline-changed", refreshTimeline);
    }
    connection.start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

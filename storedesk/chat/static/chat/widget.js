/*
 * Storedesk chat widget. One tag on any shop page:
 *   <script src="(the desk)/chat/widget.js" data-inbox="KEY" async></script>
 * Optional: data-lang="sv", and for signed-in customers data-customer-id, data-email,
 * data-name and data-hmac (hex HMAC-SHA256 of "<customer id>:<email>" with the inbox's
 * identity secret, computed on the shop's server).
 *
 * No framework and no third-party requests: everything comes from the desk that served
 * this file. The UI lives in a shadow root so the shop's CSS cannot break it. Messages are
 * rendered as text, never as HTML. Transport: a websocket, or long-polling where sockets
 * are blocked; after a drop the widget asks for everything after the last sequence number
 * it saw, and unsent messages are sent again with the same client id (idempotent).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__storedeskChat) return;
  window.__storedeskChat = true;
  var KEY = script.getAttribute("data-inbox") || "";
  var BASE = new URL(script.src).origin;
  var API = BASE + "/chat/api/" + encodeURIComponent(KEY) + "/";
  var STORE = "storedesk-chat:" + KEY;

  var STRINGS = {
    en: {
      open: "Chat with us", close: "Close chat", title: "Chat", send: "Send",
      placeholder: "Write a message…", name: "Your name", email: "Your email",
      start: "Start chat", attach: "Attach a file", end: "End chat",
      queued: "You are number {p} in the queue.", wait: "Estimated wait: about {m} min.",
      assigned: "{a} will be with you shortly.", active: "You are chatting with {a}.",
      ended: "The chat has ended.", newChat: "Start a new chat", typing: "{a} is typing…",
      read: "Read", sending: "Sending…", failed: "Not sent. Retrying…",
      offline: "We are offline right now. Leave a message and we will answer by email.",
      leave: "Send message", left: "Thank you! We will answer by email.",
      transcript: "Email me the transcript", transcriptSent: "The transcript is on its way.",
      tooBig: "The file is too large.", error: "Something went wrong. Please try again.",
      you: "You", newMessage: "New message", intro: "Hi! How can we help?",
      suggest: "These articles may answer your question:", answered: "This answered my question",
      thanks: "Glad it helped! You can still start a chat if you need to."
    },
    sv: {
      open: "Chatta med oss", close: "Stäng chatten", title: "Chatt", send: "Skicka",
      placeholder: "Skriv ett meddelande…", name: "Ditt namn", email: "Din e-post",
      start: "Starta chatten", attach: "Bifoga en fil", end: "Avsluta chatten",
      queued: "Du är nummer {p} i kön.", wait: "Beräknad väntetid: cirka {m} min.",
      assigned: "{a} är strax hos dig.", active: "Du chattar med {a}.",
      ended: "Chatten är avslutad.", newChat: "Starta en ny chatt", typing: "{a} skriver…",
      read: "Läst", sending: "Skickar…", failed: "Inte skickat. Försöker igen…",
      offline: "Vi är inte här just nu. Lämna ett meddelande så svarar vi via e-post.",
      leave: "Skicka meddelandet", left: "Tack! Vi svarar via e-post.",
      transcript: "Mejla mig chatten", transcriptSent: "Chatten är på väg till dig.",
      tooBig: "Filen är för stor.", error: "Något gick fel. Försök igen.",
      you: "Du", newMessage: "Nytt meddelande", intro: "Hej! Hur kan vi hjälpa dig?",
      suggest: "De här artiklarna kanske besvarar din fråga:", answered: "Det här besvarade min fråga",
      thanks: "Vad bra att det hjälpte! Du kan fortfarande starta en chatt om du behöver."
    },
    ru: {
      open: "Напишите нам", close: "Закрыть чат", title: "Чат", send: "Отправить",
      placeholder: "Напишите сообщение…", name: "Ваше имя", email: "Ваш e-mail",
      start: "Начать чат", attach: "Прикрепить файл", end: "Завершить чат",
      queued: "Вы {p}-й в очереди.", wait: "Примерное ожидание: около {m} мин.",
      assigned: "{a} скоро ответит вам.", active: "Вы общаетесь с {a}.",
      ended: "Чат завершён.", newChat: "Начать новый чат", typing: "{a} печатает…",
      read: "Прочитано", sending: "Отправка…", failed: "Не отправлено. Повторяем…",
      offline: "Сейчас мы не в сети. Оставьте сообщение, и мы ответим по e-mail.",
      leave: "Отправить сообщение", left: "Спасибо! Мы ответим по e-mail.",
      transcript: "Прислать переписку на e-mail", transcriptSent: "Переписка отправлена.",
      tooBig: "Файл слишком большой.", error: "Что-то пошло не так. Попробуйте ещё раз.",
      you: "Вы", newMessage: "Новое сообщение", intro: "Здравствуйте! Чем можем помочь?",
      suggest: "Возможно, эти статьи ответят на ваш вопрос:", answered: "Это ответ на мой вопрос",
      thanks: "Рады, что помогли! Если нужно, вы всё равно можете начать чат."
    },
    "zh-hans": {
      open: "在线咨询", close: "关闭聊天", title: "聊天", send: "发送",
      placeholder: "输入消息…", name: "您的姓名", email: "您的邮箱",
      start: "开始聊天", attach: "添加附件", end: "结束聊天",
      queued: "您在队列中排第 {p} 位。", wait: "预计等待约 {m} 分钟。",
      assigned: "{a} 马上为您服务。", active: "正在与 {a} 聊天。",
      ended: "聊天已结束。", newChat: "开始新的聊天", typing: "{a} 正在输入…",
      read: "已读", sending: "发送中…", failed: "未发送，正在重试…",
      offline: "我们目前不在线。请留言，我们会通过邮件回复。",
      leave: "发送留言", left: "谢谢！我们会通过邮件回复您。",
      transcript: "将聊天记录发到我的邮箱", transcriptSent: "聊天记录已发送。",
      tooBig: "文件太大。", error: "出错了，请重试。",
      you: "您", newMessage: "新消息", intro: "您好！有什么可以帮您？",
      suggest: "以下文章或许能解答您的问题：", answered: "这解答了我的问题",
      thanks: "很高兴能帮到您！如有需要，您仍可开始聊天。"
    }
  };

  function pickLanguage() {
    var wanted = [script.getAttribute("data-lang"), document.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = (wanted[i] || "").toLowerCase();
      if (!code) continue;
      if (code.indexOf("zh") === 0) return "zh-hans";
      code = code.split("-")[0];
      if (STRINGS[code]) return code;
    }
    return "en";
  }
  var LANG = pickLanguage();
  function t(name, values) {
    var text = STRINGS[LANG][name] || STRINGS.en[name];
    for (var key in values || {}) text = text.replace("{" + key + "}", values[key]);
    return text;
  }

  var state = {
    token: "", config: null, chat: null, lastSeq: 0, entries: {}, pending: {},
    ws: null, wsFailures: 0, polling: false, stopped: false, open: false,
    unread: 0, readSent: 0, typingSentAt: 0, typingTimer: 0,
    kb: "", kbQuery: "", kbTimer: 0, kbSeq: 0
  };
  try { state.token = localStorage.getItem(STORE) || ""; } catch (e) { /* storage blocked */ }

  function clientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function api(method, name, body, query) {
    var headers = { "X-Chat-Token": state.token };
    var init = { method: method, headers: headers, credentials: "omit" };
    if (body instanceof FormData) init.body = body;
    else if (body) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(API + name + (query || ""), init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { var error = new Error(data.error || "http"); error.code = data.error; throw error; }
        return data;
      });
    });
  }

  /* ---------- the UI ---------- */
  var host = document.createElement("div");
  host.setAttribute("data-storedesk-chat", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML = [
    "<style>",
    ":host{all:initial}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;",
    "padding:14px 20px;background:#1d4ed8;color:#fff;cursor:pointer;box-shadow:0 4px 14px #0004}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}",
    ".badge{background:#dc2626;border-radius:10px;padding:0 6px;margin-left:6px}",
    ".window{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:360px;max-width:calc(100vw - 24px);",
    "height:520px;max-height:calc(100vh - 110px);background:#fff;color:#111;border-radius:12px;",
    "box-shadow:0 8px 30px #0005;display:flex;flex-direction:column;overflow:hidden}",
    ".window[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#1d4ed8;color:#fff}",
    "header img{width:28px;height:28px;border-radius:50%}header h2{flex:1;margin:0;font-size:15px}",
    "header button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}",
    ".status{padding:6px 12px;background:#eff6ff;font-size:13px}.status:empty{display:none}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}",
    ".msg{max-width:80%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".visitor{align-self:flex-end;background:#1d4ed8;color:#fff}.agent{align-self:flex-start;background:#f1f5f9}",
    ".meta{font-size:11px;opacity:.75;margin-top:2px}.msg a{color:inherit}",
    ".typing{font-size:12px;color:#555;padding:0 12px;min-height:18px}",
    "form{display:flex;flex-direction:column;gap:8px;padding:10px 12px;border-top:1px solid #e5e7eb}",
    "label{font-size:12px;color:#333}input,textarea{width:100%;padding:8px;border:1px solid #94a3b8;border-radius:6px;color:#111;background:#fff}",
    "textarea{resize:none;height:60px}.row{display:flex;gap:8px;align-items:center}",
    ".row button,.primary{border:0;border-radius:6px;padding:8px 12px;background:#1d4ed8;color:#fff;cursor:pointer}",
    ".link{background:none;border:0;color:#1d4ed8;cursor:pointer;text-decoration:underline;padding:0}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    ".note{font-size:13px;color:#333}.tools{display:flex;gap:12px;padding:4px 12px 8px;font-size:12px}",
    ".sugg{max-height:170px;overflow-y:auto;font-size:13px}.sugg[hidden]{display:none}.sugg ul{margin:4px 0 0;padding:0;list-style:none}",
    ".sugg li{padding:4px 0;border-top:1px solid #e5e7eb}.sugg a{color:#1d4ed8;font-weight:600}",
    ".sugg .snip{display:block;font-size:12px;color:#444;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    "</style>",
    '<button class="launcher" type="button" aria-haspopup="dialog" aria-expanded="false"></button>',
    '<section class="window" role="dialog" aria-modal="false" hidden>',
    '<header><img alt="" hidden><h2></h2><button type="button" class="close">×</button></header>',
    '<div class="status" role="status" aria-live="polite"></div>',
    '<div class="log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0"></div>',
    '<div class="typing" aria-live="polite"></div>',
    '<div class="panel"></div>',
    "</section>"
  ].join("");
  var $ = function (selector) { return root.querySelector(selector); };
  var launcher = $(".launcher"), win = $(".window"), log = $(".log"), panel = $(".panel");
  var statusLine = $(".status"), typingLine = $(".typing"), avatar = $("header img");
  launcher.textContent = t("open");
  $("header h2").textContent = t("title");
  win.setAttribute("aria-label", t("title"));
  $(".close").setAttribute("aria-label", t("close"));

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function field(form, name, label, type, required) {
    var id = "sd-" + name;
    form.appendChild(el("label", { for: id }, label));
    var input = el(type === "textarea" ? "textarea" : "input", { id: id, name: name });
    if (type !== "textarea") input.type = type;
    if (required) input.required = true;
    form.appendChild(input);
    return input;
  }

  function setOpen(open) {
    state.open = open;
    win.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? t("close") : t("open"));
    if (open) {
      state.unread = 0;
      noticeUpdate();
      var focus = panel.querySelector("textarea,input");
      if (focus) focus.focus();
      markRead();
    } else {
      launcher.focus();
    }
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  $(".close").addEventListener("click", function () { setOpen(false); });
  root.addEventListener("keydown", function (event) { if (event.key === "Escape" && state.open) setOpen(false); });

  /* ---------- panels: pre-chat, composer, offline, ended ---------- */
  function showPrechat() {
    panel.textContent = "";
    var form = el("form", { novalidate: "" });
    var config = state.config || {};
    var fields = (config.prechat && config.prechat.enabled) ? config.prechat.fields : [];
    var required = !config.allow_anonymous;
    var name = fields.indexOf("name") >= 0 ? field(form, "name", t("name"), "text", required) : null;
    var email = fields.indexOf("email") >= 0 ? field(form, "email", t("email"), "email", required) : null;
    var text = field(form, "text", t("placeholder"), "textarea", true);
    suggestions(form, text);
    form.appendChild(el("button", { type: "submit", class: "primary" }, t("start")));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity() || !text.value.trim()) return;
      var body = { text: text.value, client_id: clientId() };
      if (name) body.name = name.value;
      if (email) body.email = email.value;
      if (state.kb) body.kb_session = state.kb;  // a chat started after suggestions
      api("POST", "chat", body).then(function (data) {
        state.chat = data.chat;
        showComposer();
        renderState();
        connect();
      }).catch(function (error) {
        if (error.code === "offline") showOffline(); else announce(t("error"));
      });
    });
    panel.appendChild(form);
    if (!log.childNodes.length) log.appendChild(el("p", { class: "note" }, t("intro")));
  }

  /* ---------- help-centre articles while the first message is written (deflection) ---------- */
  function suggestions(form, text) {
    state.kb = ""; state.kbQuery = "";
    var box = el("div", { class: "sugg", id: "sd-sugg", hidden: "" });
    var heading = el("p", { id: "sd-sugg-title", class: "note" }, t("suggest"));
    var list = el("ul", { "aria-labelledby": "sd-sugg-title" });
    var spoken = el("div", { class: "sr", "aria-live": "polite" });
    box.appendChild(heading); box.appendChild(list);
    form.appendChild(box); form.appendChild(spoken);
    text.addEventListener("input", function () {
      clearTimeout(state.kbTimer);
      state.kbTimer = setTimeout(function () { suggestFor(text.value.trim()); }, 350);
    });
    function suggestFor(query) {
      if (query === state.kbQuery) return;
      state.kbQuery = query;
      var seq = ++state.kbSeq;
      if (query.length < 3) { render([]); return; }
      state.kb = state.kb || clientId();
      var params = "?q=" + encodeURIComponent(query.slice(0, 200)) + "&lang=" + LANG + "&s=" + state.kb;
      api("GET", "suggest", null, params).then(function (data) {
        if (seq === state.kbSeq) render(data.suggestions || []);
      }).catch(function () { /* no suggestions: the chat is still one click away */ });
    }
    function render(items) {
      var had = !box.hidden;
      list.textContent = "";
      items.forEach(function (item) {
        var li = el("li");
        var link = el("a", { href: item.url, target: "_blank", rel: "noopener" }, item.title);
        link.addEventListener("click", function () { suggestEvent(item.article, "opened"); });
        var answered = el("button", { type: "button", class: "link" }, t("answered"));
        answered.addEventListener("click", function () {
          suggestEvent(item.article, "answered");
          answered.replaceWith(el("span", { role: "status" }, t("thanks")));
        });
        li.appendChild(link);
        li.appendChild(el("span", { class: "snip" }, item.snippet));
        li.appendChild(answered);
        list.appendChild(li);
      });
      box.hidden = !items.length;
      if (box.hidden) text.removeAttribute("aria-describedby");
      else text.setAttribute("aria-describedby", "sd-sugg-title");
      // Said once when articles appear, not on every keystroke that changes them.
      spoken.textContent = items.length && !had ? t("suggest") + " " + items.map(function (i) { return i.title; }).join("; ") : "";
    }
  }
  function suggestEvent(article, kind) {
    api("POST", "suggest/event", { s: state.kb, article: article, kind: kind }).catch(function () {});
  }

  function showComposer() {
    panel.textContent = "";
    var form = el("form");
    var label = el("label", { for: "sd-compose", class: "sr" }, t("placeholder"));
    var text = el("textarea", { id: "sd-compose", placeholder: t("placeholder") });
    var row = el("div", { class: "row" });
    var file = el("input", { type: "file", id: "sd-file", class: "sr" });
    var attach = el("label", { for: "sd-file", class: "link", tabindex: "0", role: "button" }, t("attach"));
    row.appendChild(attach);
    row.appendChild(file);
    row.appendChild(el("span", { style: "flex:1" }));
    row.appendChild(el("button", { type: "submit" }, t("send")));
    form.appendChild(label);
    form.appendChild(text);
    form.appendChild(row);
    var tools = el("div", { class: "tools" });
    var end = el("button", { type: "button", class: "link" }, t("end"));
    tools.appendChild(end);
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    text.addEventListener("input", typingChanged);
    attach.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); file.click(); }
    });
    file.addEventListener("change", function () { if (file.files[0]) upload(file.files[0]); file.value = ""; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!text.value.trim()) return;
      send(text.value);
      text.value = "";
      typingSend(false);
    });
    end.addEventListener("click", function () {
      api("POST", "end", {}).then(function (data) { state.chat = data.chat; renderState(); });
    });
    panel.appendChild(form);
    panel.appendChild(tools);
  }

  function showEnded() {
    panel.textContent = "";
    var form = el("form");
    var email = field(form, "email", t("transcript"), "email", true);
    form.appendChild(el("button", { type: "submit", class: "primary" }, t("transcript")));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) return;
      api("POST", "transcript", { email: email.value }).then(function () { announce(t("transcriptSent")); })
        .catch(function () { announce(t("error")); });
    });
    var again = el("button", { type: "button", class: "link" }, t("newChat"));
    again.addEventListener("click", function () {
      state.chat = null; state.lastSeq = 0; state.entries = {}; log.textContent = "";
      statusLine.textContent = ""; showPrechat();
    });
    panel.appendChild(form);
    panel.appendChild(el("div", { class: "tools" })).appendChild(again);
  }

  function showOffline() {
    panel.textContent = "";
    statusLine.textContent = t("offline");
    if (!(state.config && state.config.offline_messages)) return;
    var form = el("form", { novalidate: "" });
    var name = field(form, "name", t("name"), "text", false);
    var email = field(form, "email", t("email"), "email", true);
    var text = field(form, "text", t("placeholder"), "textarea", true);
    form.appendChild(el("button", { type: "submit", class: "primary" }, t("leave")));
    var id = clientId();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) return;
      api("POST", "offline", { name: name.value, email: email.value, text: text.value, client_id: id })
        .then(function () { panel.textContent = ""; statusLine.textContent = t("left"); })
        .catch(function () { announce(t("error")); });
    });
    panel.appendChild(form);
  }

  function announce(text) { statusLine.textContent = text; }

  /* ---------- entries ---------- */
  function renderEntry(entry) {
    if (entry.kind !== "message" || state.entries[entry.sequence]) return;
    state.entries[entry.sequence] = entry;
    var pending = entry.client_id && state.pending[entry.client_id];
    if (pending) { pending.node.remove(); delete state.pending[entry.client_id]; }
    var mine = entry.author === "visitor";
    var node = el("div", { class: "msg " + (mine ? "visitor" : "agent"), "data-sequence": String(entry.sequence) });
    node.appendChild(el("span", { class: "sr" }, (mine ? t("you") : entry.author_name) + ": "));
    node.appendChild(document.createTextNode(entry.text));
    (entry.attachments || []).forEach(function (file) {
      var link = el("a", { href: API + "files/" + file.id + "?token=" + encodeURIComponent(state.token), target: "_blank", rel: "noopener" }, file.name);
      node.appendChild(el("br"));
      node.appendChild(link);
    });
    node.appendChild(el("div", { class: "meta" }, mine ? "" : entry.author_name));
    var after = null;
    log.querySelectorAll(".msg[data-sequence]").forEach(function (other) {
      if (!after && Number(other.getAttribute("data-sequence")) > entry.sequence) after = other;
    });
    log.insertBefore(node, after);
    state.lastSeq = Math.max(state.lastSeq, entry.sequence);
    log.scrollTop = log.scrollHeight;
    if (!mine) { notice(); typingLine.textContent = ""; }
    renderReceipts();
  }

  function renderReceipts() {
    var read = state.chat ? state.chat.agent_read_sequence : 0;
    log.querySelectorAll(".msg.visitor").forEach(function (node) {
      var meta = node.querySelector(".meta");
      if (meta) meta.textContent = Number(node.getAttribute("data-sequence")) <= read ? t("read") : "";
    });
  }

  function renderState() {
    var chat = state.chat;
    if (!chat) return;
    var agent = chat.agent ? chat.agent.name : "";
    if (chat.state === "queued") {
      var text = t("queued", { p: chat.position });
      if (chat.estimated_wait_seconds) text += " " + t("wait", { m: Math.max(1, Math.round(chat.estimated_wait_seconds / 60)) });
      statusLine.textContent = text;
    } else if (chat.state === "ended") {
      statusLine.textContent = t("ended");
      showEnded();
    } else {
      statusLine.textContent = t(chat.state === "active" ? "active" : "assigned", { a: agent });
    }
    avatar.hidden = !(chat.agent && chat.agent.avatar_url);
    if (!avatar.hidden) avatar.src = chat.agent.avatar_url;
    $("header h2").textContent = agent || t("title");
    renderReceipts();
  }

  /* ---------- notices: sound and title ---------- */
  var originalTitle = document.title, titleTimer = 0;
  function notice() {
    if (state.open && !document.hidden) { markRead(); return; }
    state.unread += 1;
    noticeUpdate();
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.05;
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.15);
    } catch (e) { /* no audio: the title still tells */ }
  }
  function noticeUpdate() {
    launcher.textContent = t("open");
    if (state.unread) launcher.appendChild(el("span", { class: "badge" }, String(state.unread)));
    clearInterval(titleTimer);
    document.title = originalTitle;
    if (!state.unread) return;
    var flip = false;
    titleTimer = setInterval(function () {
      flip = !flip;
      document.title = flip ? "(" + state.unread + ") " + t("newMessage") : originalTitle;
    }, 1500);
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden && state.open) { state.unread = 0; noticeUpdate(); markRead(); } });

  function markRead() {
    if (!state.chat || state.lastSeq <= state.readSent || document.hidden || !state.open) return;
    state.readSent = state.lastSeq;
    if (!wsSend({ type: "read", sequence: state.lastSeq })) api("POST", "read", { sequence: state.lastSeq }).catch(function () {});
  }

  /* ---------- sending ---------- */
  function send(text) {
    var id = clientId();
    var node = el("div", { class: "msg visitor" }, text);
    node.appendChild(el("div", { class: "meta" }, t("sending")));
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    state.pending[id] = { text: text, node: node };
    deliver(id);
  }
  function deliver(id) {
    var item = state.pending[id];
    if (!item) return;
    if (wsSend({ type: "send", client_id: id, text: item.text })) return;
    api("POST", "messages", { client_id: id, text: item.text }).then(fetchNews).catch(function (error) {
      if (error.code === "too_long" || error.code === "empty" || error.code === "ended") {
        item.node.querySelector(".meta").textContent = t("error");
        delete state.pending[id];
        return;
      }
      item.node.querySelector(".meta").textContent = t("failed");
      setTimeout(function () { deliver(id); }, 3000);
    });
  }
  function resendPending() { Object.keys(state.pending).forEach(deliver); }

  function upload(file) {
    if (state.config && file.size > state.config.max_file_bytes) { announce(t("tooBig")); return; }
    var form = new FormData();
    form.append("client_id", clientId());
    form.append("text", "");
    form.append("file", file);
    api("POST", "messages", form).then(fetchNews).catch(function () { announce(t("error")); });
  }

  function typingChanged() {
    clearTimeout(state.typingTimer);
    if (Date.now() - state.typingSentAt > 2500) typingSend(true);
    state.typingTimer = setTimeout(function () { typingSend(false); }, 4000);
  }
  function typingSend(isTyping) {
    state.typingSentAt = isTyping ? Date.now() : 0;
    if (!wsSend({ type: "typing", is_typing: isTyping })) api("POST", "typing", { is_typing: isTyping }).catch(function () {});
  }

  /* ---------- transport: websocket first, long-polling as the fallback ---------- */
  function handleFrame(frame) {
    if (frame.type === "entry") renderEntry(frame.entry);
    else if (frame.type === "ready" || frame.type === "state") {
      if (frame.chat) { state.chat = frame.chat; renderState(); }
      if (frame.type === "ready") resendPending();
    } else if (frame.type === "typing") typingLine.textContent = frame.is_typing ? t("typing", { a: frame.name }) : "";
    else if (frame.type === "read" && state.chat) { state.chat.agent_read_sequence = frame.sequence; renderReceipts(); }
    else if (frame.type === "error" && frame.client_id && state.pending[frame.client_id]) {
      state.pending[frame.client_id].node.querySelector(".meta").textContent = t("error");
      delete state.pending[frame.client_id];
    }
    markRead();
  }

  function wsSend(frame) {
    if (!state.ws || state.ws.readyState !== 1) return false;
    state.ws.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    if (state.polling || state.ws || state.stopped) return;
    var opened = false;
    var ws;
    try { ws = new WebSocket(BASE.replace(/^http/, "ws") + "/ws/chat/visitor/"); } catch (e) { startPolling(); return; }
    state.ws = ws;
    ws.onopen = function () {
      opened = true;
      state.wsFailures = 0;
      ws.send(JSON.stringify({ type: "hello", widget: KEY, token: state.token, after: state.lastSeq }));
    };
    ws.onmessage = function (event) { handleFrame(JSON.parse(event.data)); };
    ws.onclose = function (event) {
      state.ws = null;
      if (event.code === 4401 || event.code === 4403) { state.stopped = true; return; }
      if (!opened) state.wsFailures += 1;
      if (state.wsFailures >= 2) { startPolling(); return; }
      setTimeout(connect, Math.min(1000 * Math.pow(2, state.wsFailures), 15000));
    };
  }

  function fetchNews() {
    if (state.ws) return;
    return api("GET", "messages", null, "?after=" + state.lastSeq).then(applyNews).catch(function () {});
  }
  function applyNews(data) {
    (data.entries || []).forEach(renderEntry);
    if (data.chat) { state.chat = data.chat; renderState(); }
    (data.events || []).forEach(handleFrame);
    markRead();
  }
  function startPolling() {
    if (state.polling) return;
    state.polling = true;
    var failures = 0;
    (function loop() {
      if (state.stopped) return;
      api("GET", "poll", null, "?after=" + state.lastSeq).then(function (data) {
        failures = 0;
        applyNews(data);
        resendPending();
        if (!data.chat || data.chat.state !== "ended") loop(); else state.polling = false;
      }).catch(function () {
        failures += 1;
        setTimeout(loop, Math.min(1000 * failures, 15000));
      });
    })();
  }

  /* ---------- start ---------- */
  function identity() {
    var id = script.getAttribute("data-customer-id"), email = script.getAttribute("data-email");
    var signature = script.getAttribute("data-hmac");
    if (!id || !email || !signature) return undefined;
    return { customer_id: id, email: email, hmac: signature, name: script.getAttribute("data-name") || "" };
  }

  function boot() {
    document.body.appendChild(host);
    var page = { url: location.href, title: document.title };
    var body = { page: page, language: LANG, identity: identity() };
    Promise.all([api("POST", "session", body), api("GET", "config")]).then(function (results) {
      state.token = results[0].token;
      try { localStorage.setItem(STORE, state.token); } catch (e) { /* private mode: session lasts the page */ }
      state.config = results[1];
      state.chat = results[0].chat;
      if (state.chat) { showComposer(); renderState(); connect(); }
      else if (state.config.online) showPrechat();
      else showOffline();
    }).catch(function () { launcher.hidden = true; });
  }
  if (document.body) boot(); else document.addEventListener("DOMContentLoaded", boot);
})();

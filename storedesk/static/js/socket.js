/*
 * The reconnecting websocket of the agent pages: live.js (workspace, /ws/agent/) and
 * chat/console.js (chat console, /ws/chat/agent/). Load it before them.
 *
 * Both pages follow one rule: on every (re)connect the page subscribes again with the last
 * sequence it has, and the server answers with what it missed, so nothing depends on the
 * socket never dropping. This is the connection half of that rule; the page's half is
 * `onOpen` (subscribe again) and `onFrame` (each parsed server frame).
 *   - One current socket: a dropped one that still reports late is ignored.
 *   - Reconnects with exponential backoff and jitter, and at once when the browser is back
 *     online (`onOnline` instead, if the socket survived).
 *   - Going offline drops the socket, which may linger without delivering, so the subscribe
 *     after coming back names everything missed.
 *   - Close code 4401 (signed out elsewhere) stops it knocking; no reload, which could lose a
 *     draft.
 *
 * window.storedeskSocket({path, onOpen, onFrame, onChange, onOnline, backoffFirstMs,
 * backoffMaxMs}) returns {start(), send(frame) -> sent?, connected, signedOut}; `onChange`
 * is called whenever `connected` may have changed.
 */
(function () {
  "use strict";

  var CLOSE_UNAUTHENTICATED = 4401;

  function noop() {}

  window.storedeskSocket = function (options) {
    var onChange = options.onChange || noop;
    var onOnline = options.onOnline || noop;

    var connection = { connected: false, signedOut: false, start: connect, send: send };
    var socket = null;
    var attempt = 0;
    var reconnectTimer = null;

    function url() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      return scheme + window.location.host + options.path;
    }

    function send(frame) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    }

    function connect() {
      reconnectTimer = null;
      if (connection.signedOut || (socket && socket.readyState <= WebSocket.OPEN)) return;
      var current = new WebSocket(url());
      socket = current;
      function ifCurrent(handler) {
        return function (event) { if (socket === current) handler(event); };
      }
      current.addEventListener("open", ifCurrent(onOpen));
      current.addEventListener("message", ifCurrent(onMessage));
      current.addEventListener("close", ifCurrent(onClose));
    }

    function onOpen() {
      attempt = 0;
      connection.connected = true;
      onChange(connection);
      options.onOpen();
    }

    function onMessage(message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (error) { return; }
      if (frame) options.onFrame(frame);
    }

    function onClose(event) {
      connection.connected = false;
      socket = null;
      onChange(connection);
      if (event.code === CLOSE_UNAUTHENTICATED) {
        connection.signedOut = true;
        return;
      }
      if (navigator.onLine !== false) scheduleReconnect(); // else the "online" event does it
    }

    function scheduleReconnect() {
      if (reconnectTimer !== null || connection.signedOut) return;
      var delay = Math.min(options.backoffMaxMs, options.backoffFirstMs * Math.pow(2, attempt));
      attempt += 1;
      // Jitter, so a restarted server is not hit by every open tab in the same second.
      reconnectTimer = window.setTimeout(connect, delay * (0.5 + Math.random() / 2));
    }

    window.addEventListener("offline", function () {
      if (socket) {
        var old = socket;
        socket = null;
        connection.connected = false;
        old.close();
      }
      onChange(connection);
    });
    window.addEventListener("online", function () {
      if (socket) {
        onOnline();
        return;
      }
      window.clearTimeout(reconnectTimer);
      reconnectTimer = null;
      attempt = 0;
      connect();
    });

    return connection;
  };
})();

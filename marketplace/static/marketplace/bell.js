/* The notification bell: a WebSocket to /ws/notifications/ keeps the unread count and the dropdown
   current without reloading; clicking an item marks it read over the same socket. Reconnects with
   back-off. Without JavaScript the bell still links to the notification list. */
(function () {
  "use strict";
  var root = document.querySelector("[data-zp-bell]");
  if (!root) return;
  var button = root.querySelector(".zp-bell-button");
  var menu = root.querySelector(".zp-bell-menu");
  var list = root.querySelector(".zp-bell-list");
  var count = root.querySelector(".zp-bell-count");
  var socket = null;
  var delay = 1000;

  function setUnread(n) {
    if (typeof n !== "number") return;
    count.textContent = String(n);
    count.dataset.unread = String(n);
    count.hidden = n <= 0;
  }

  /* The pushed timestamp is ISO 8601 in UTC; show it in the site's time zone like the server-rendered ones. */
  function localTime(iso) {
    var d = new Date(iso || "");
    if (isNaN(d.getTime())) return (iso || "").replace("T", " ").slice(0, 16);
    if (root.dataset.tz && window.Intl) {
      try {  // the site's time zone, as the server renders the other items ("sv-SE" gives 2026-01-31 09:05)
        return new Intl.DateTimeFormat("sv-SE", { timeZone: root.dataset.tz, year: "numeric", month: "2-digit",
          day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(d);
      } catch (e) { /* unknown zone: fall through to the browser's */ }
    }
    function pad(v) { return (v < 10 ? "0" : "") + v; }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function item(n) {
    var li = document.createElement("li");
    li.className = "zp-bell-item is-unread";
    li.dataset.id = n.id;
    var a = document.createElement("a");
    a.href = n.url || "#";
    a.dataset.id = n.id;
    var title = document.createElement("span");
    title.className = "zp-bell-title";
    var lang = (document.documentElement.lang || "").toLowerCase();
    title.textContent = (lang.indexOf("en") === 0 && n.title_en) ? n.title_en : n.title;
    title.title = title.textContent;
    var time = document.createElement("time");
    time.dateTime = n.created_at;
    time.textContent = localTime(n.created_at);
    a.appendChild(title);
    a.appendChild(time);
    li.appendChild(a);
    return li;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.wsPath);
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "notification") {
        var empty = list.querySelector(".zp-bell-empty");
        if (empty) empty.remove();
        list.insertBefore(item(data.notification), list.firstChild);
        while (list.children.length > 8) list.removeChild(list.lastChild);
        setUnread(data.unread);
      } else if (data.type === "unread" || data.type === "marked_read" || data.type === "marked_all_read") {
        setUnread(data.unread);
        if (data.type === "marked_read") {
          var li = list.querySelector('[data-id="' + data.id + '"]');
          if (li) li.classList.remove("is-unread");
        }
        if (data.type === "marked_all_read") {
          list.querySelectorAll(".is-unread").forEach(function (el) { el.classList.remove("is-unread"); });
        }
      } else if (data.type === "error" && window.console) {
        console.warn("notifications:", data.field, data.error);
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4401) return; // signed out: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  button.addEventListener("click", function () {
    var open = menu.hidden;
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("click", function (event) {
    if (!root.contains(event.target)) { menu.hidden = true; button.setAttribute("aria-expanded", "false"); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { menu.hidden = true; button.setAttribute("aria-expanded", "false"); }
  });
  list.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-id]");
    if (link) send({ action: "mark_read", id: Number(link.dataset.id) });
  });
  root.querySelector("[data-mark-all]").addEventListener("click", function () {
    send({ action: "mark_all_read" });
  });
  if ("WebSocket" in window) connect();
})();

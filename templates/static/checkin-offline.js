// Offline check-in for the door's phone. While online, the check-in form
// posts as usual; this script keeps the list (the event's public key, the
// ticket types the list admits, the codes to refuse) and registers the
// service worker that keeps the page. With no connection, a scanned QR code
// is verified here against the event's Ed25519 key, checked against the
// kept list and the scans made since, and queued; back online, the queue
// is synced and each scan the server did not take as a check-in (a ticket
// scanned twice, or checked in meanwhile at another door) is flagged.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form || !window.fetch || !window.localStorage || !form.dataset.sync) return;
  var CACHE = "admit-checkin-v1";
  var input = form.querySelector("input[name=code]");
  var csrf = form.querySelector("input[name=_csrf]").value;
  var box = document.getElementById("checkin-offline");
  var statusLine = document.getElementById("checkin-offline-status");
  var flagList = document.getElementById("checkin-flags");
  var flagged = document.getElementById("checkin-flagged");
  var prefix = "admit-checkin-" + form.dataset.list + "-";
  var syncing = false;

  function load(name, fallback) {
    try { return JSON.parse(localStorage.getItem(prefix + name)) || fallback; } catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(prefix + name, JSON.stringify(value)); } catch (e) {}
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(form.dataset.worker, { scope: form.dataset.scope }).catch(function () {});
  }
  // The page itself is kept too: the worker only sees what it controls,
  // and the first visit happens before it does.
  if (window.caches && navigator.onLine) {
    caches.open(CACHE).then(function (c) {
      return c.addAll([location.pathname, "/static/checkin.js", "/static/checkin-offline.js", "/static/admit.css", "/static/console.css"]);
    }).catch(function () {});
  }

  function refreshList() {
    if (!navigator.onLine) return Promise.resolve();
    return fetch(form.dataset.offline, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (list) { if (list) save("list", list); }, function () {});
  }

  function normalize(code) { return code.toLowerCase().replace(/[\s-]/g, ""); }

  function base64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // verify resolves to whether sig is the event's signature of the code
  // and ticket type (the message admit-ticket-v1:event:type:code).
  function verify(list, code, typeID, sig) {
    if (!window.crypto || !crypto.subtle) return Promise.resolve(false);
    var msg = new TextEncoder().encode("admit-ticket-v1:" + list.event_id + ":" + typeID + ":" + code);
    return crypto.subtle.importKey("raw", base64url(list.public_key), { name: "Ed25519" }, false, ["verify"]).then(function (key) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, base64url(sig), msg);
    }).catch(function () { return false; });
  }

  var scanned = "";

  function show(ok, outcome, headline, detail) {
    var old = document.querySelector(".checkin-result");
    if (old) old.remove();
    var s = document.createElement("section");
    s.className = "checkin-result " + (ok ? "ok" : "bad");
    s.setAttribute("role", ok ? "status" : "alert");
    s.dataset.outcome = outcome;
    s.dataset.offline = "1";
    s.dataset.code = scanned;
    var p = document.createElement("p");
    p.className = "verdict";
    p.textContent = (ok ? "✔ " : "✖ ") + headline;
    s.appendChild(p);
    var d = document.createElement("p");
    d.textContent = detail;
    s.appendChild(d);
    form.parentNode.insertBefore(s, form);
    if (navigator.vibrate) navigator.vibrate(ok ? 80 : [250, 100, 250, 100, 250]);
  }

  function render() {
    var queue = load("queue", []), flags = load("flags", []);
    var offline = !navigator.onLine;
    box.hidden = !offline && !queue.length && !flags.length;
    var line = offline ? "Offline: scans are checked on this phone and synced when the connection is back." : "Online.";
    if (queue.length) line += " " + queue.length + (queue.length === 1 ? " scan" : " scans") + " waiting to sync.";
    statusLine.textContent = line;
    flagList.textContent = "";
    flagged.hidden = !flags.length;
    flags.forEach(function (f) {
      var li = document.createElement("li");
      li.dataset.outcome = f.outcome;
      li.textContent = f.headline + (f.detail ? " — " + f.detail : "") + " (scanned " + new Date(f.at).toLocaleTimeString() + ")";
      flagList.appendChild(li);
    });
  }

  function scanOffline(raw) {
    var list = load("list", null);
    raw = raw.trim();
    scanned = raw;
    if (!list) {
      show(false, "unknown", "Cannot check offline", "This phone has no copy of the list yet: open this page once with a connection.");
      return Promise.resolve();
    }
    var parts = raw.split(".");
    if (parts.length !== 3) {
      show(false, "unknown", "Cannot verify offline", "Only a ticket's QR code can be checked without a connection; scan it, or wait for the connection.");
      return Promise.resolve();
    }
    var code = normalize(parts[0]), typeID = parts[1];
    return verify(list, code, typeID, parts[2]).then(function (valid) {
      if (!valid) {
        show(false, "unknown", "Not a ticket of " + list.event_name + " — do not admit", "Its signature does not match this event's.");
        return;
      }
      var type = list.ticket_types[typeID];
      if (!type) {
        show(false, "wrong_list", "Not valid on this list", "This ticket type is not admitted on “" + list.name + "”.");
        return;
      }
      var refused = list.refused[code];
      if (refused === "void") { show(false, "void", "Void ticket — do not admit", type); return; }
      if (refused === "pending") { show(false, "pending", "Not paid — do not admit", type); return; }
      var seen = load("seen", {});
      var already = list.checked_in.indexOf(code) >= 0 || seen[code];
      var queue = load("queue", []);
      // Every scan that would admit is queued, a repeat too: the server
      // decides, and flags the repeat when it is synced.
      queue.push({ id: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(), code: raw, at: new Date().toISOString() });
      save("queue", queue);
      if (already) {
        show(false, "already_checked_in", "Already checked in", type + (seen[code] ? " — scanned on this phone at " + new Date(seen[code]).toLocaleTimeString() : ""));
      } else {
        seen[code] = Date.now();
        save("seen", seen);
        show(true, "ok", "Checked in (offline): " + type, "Saved on this phone; it syncs when the connection is back.");
      }
    });
  }

  function sync() {
    var queue = load("queue", []);
    if (syncing || !queue.length || !navigator.onLine) return Promise.resolve();
    syncing = true;
    var batch = queue.slice(0, 500);
    var body = new URLSearchParams();
    body.set("_csrf", csrf);
    body.set("scans", JSON.stringify(batch));
    return fetch(form.dataset.sync, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("sync answered " + r.status);
        return r.json();
      })
      .then(function (answer) {
        var done = {}, flags = load("flags", []), at = {};
        batch.forEach(function (s) { at[s.id] = s.at; });
        answer.results.forEach(function (r) {
          done[r.id] = true;
          if (r.flagged) flags.push({ id: r.id, outcome: r.outcome, headline: r.headline, detail: r.detail || "", at: at[r.id] });
        });
        save("flags", flags);
        save("queue", load("queue", []).filter(function (s) { return !done[s.id]; }));
        if (!load("queue", []).length) save("seen", {});
        return refreshList().then(function () { return answer.results.length > 0; });
      })
      .catch(function () { return false; })
      .then(function (synced) {
        syncing = false;
        // The page's progress and latest check-ins are as they were when
        // it was opened: show the server's, flags kept, once synced.
        if (synced) location.reload();
        else render();
      });
  }

  form.addEventListener("submit", function (e) {
    if (navigator.onLine) return;
    e.preventDefault();
    scanOffline(input.value).then(function () {
      input.value = "";
      input.focus();
      render();
    });
  });
  document.getElementById("checkin-flags-clear").addEventListener("click", function () {
    save("flags", []);
    render();
  });
  window.addEventListener("online", function () { render(); sync(); });
  window.addEventListener("offline", render);
  render();
  refreshList().then(sync);
})();

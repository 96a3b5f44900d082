// The check-in service worker: keeps the check-in page, its scripts and
// styles so that the door's phone opens them with no connection. Pages are
// fetched from the network first (the list changes all day) and from the
// cache only when the network fails. Only GET requests of this site are
// kept; check-ins themselves are queued by checkin-offline.js, not here.
"use strict";
var CACHE = "admit-checkin-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  var scope = new URL(self.registration.scope).pathname;
  if (url.pathname.indexOf(scope) !== 0 && url.pathname.indexOf("/static/") !== 0) return;
  e.respondWith(fetch(req).then(function (res) {
    if (res.ok && res.type === "basic") {
      var copy = res.clone();
      caches.open(CACHE).then(function (c) { c.put(req, copy); });
    }
    return res;
  }, function () {
    return caches.match(req, { ignoreVary: true }).then(function (hit) {
      return hit || new Response("Offline, and this page was not kept on this phone.", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    });
  }));
});

// Counts down to the opening of the sale in the waiting room. Without this
// script the page still names the opening time and refreshes by itself.
(function () {
  "use strict";
  var el = document.querySelector(".opens-in");
  if (!el) return;
  var end = Date.parse(el.getAttribute("data-opens"));
  if (isNaN(end)) return;
  var timer = el.querySelector(".timer");
  el.hidden = false;
  function pad(n) { return String(n).padStart(2, "0"); }
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    timer.textContent = (d > 0 ? d + " d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s % 60);
    if (s > 0) setTimeout(tick, 1000);
  }
  tick();
})();

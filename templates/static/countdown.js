// Counts the hold down on the checkout page. Without JavaScript the page
// still shows the time the hold ends.
(function () {
  var el = document.querySelector(".countdown");
  if (!el) return;
  var left = parseInt(el.getAttribute("data-seconds-left"), 10);
  var timer = el.querySelector(".timer");
  var end = Date.now() + left * 1000;
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    var m = Math.floor(s / 60);
    timer.textContent = m + ":" + String(s % 60).padStart(2, "0");
    if (s === 0) {
      el.classList.add("expired");
      timer.textContent = "0:00 — the hold has expired";
      return;
    }
    setTimeout(tick, 1000);
  }
  tick();
})();

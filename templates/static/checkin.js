// Scans ticket QR codes with the device's camera on the check-in page, where
// the browser can read them (BarcodeDetector): the code is filled in and the
// form submitted, as if it had been typed. Without this script, or without
// a camera, typing the code (or a hand scanner that types it) works alike.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form) return;
  var input = form.querySelector("input[name=code]");

  var result = document.querySelector(".checkin-result");
  if (result && navigator.vibrate) {
    navigator.vibrate(result.classList.contains("bad") ? [250, 100, 250, 100, 250] : 80);
  }

  var box = document.getElementById("checkin-camera");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var toggle = document.getElementById("checkin-camera-toggle");
  var video = document.getElementById("checkin-camera-video");
  var status = document.getElementById("checkin-camera-status");
  var remember = "admit-checkin-camera";
  var stream = null, detector = null, sent = false;

  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
    toggle.textContent = "Scan with camera";
  }

  // The ticket just checked in is usually still in front of the camera when
  // the result page starts it again: it is not sent twice in a row within a
  // few seconds, so the result stays on screen instead of turning into
  // "already checked in".
  var last = {};
  try { last = JSON.parse(sessionStorage.getItem(remember + "-last") || "{}"); } catch (e) {}

  function scan() {
    if (!stream || sent) return;
    detector.detect(video).then(function (codes) {
      var code = codes.length ? String(codes[0].rawValue || "").trim() : "";
      if (code && code === last.code && Date.now() - last.at < 4000) code = "";
      if (code && !sent) {
        sent = true;
        try { sessionStorage.setItem(remember + "-last", JSON.stringify({ code: code, at: Date.now() })); } catch (e) {}
        input.value = code;
        stop();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
        return;
      }
      setTimeout(scan, 150);
    }, function () { setTimeout(scan, 300); });
  }

  function start() {
    status.textContent = "";
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      toggle.textContent = "Stop camera";
      try { sessionStorage.setItem(remember, "on"); } catch (e) {}
      return video.play().then(scan);
    }).catch(function () {
      stop();
      try { sessionStorage.removeItem(remember); } catch (e) {}
      status.textContent = "The camera is not available; type the code instead.";
    });
  }

  BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") < 0) return;
    detector = new BarcodeDetector({ formats: ["qr_code"] });
    box.hidden = false;
    toggle.addEventListener("click", function () {
      if (stream) {
        stop();
        try { sessionStorage.removeItem(remember); } catch (e) {}
      } else {
        start();
      }
    });
    // Staff scanning ticket after ticket keep the camera on across results.
    var on = false;
    try { on = sessionStorage.getItem(remember) === "on"; } catch (e) {}
    if (on) start();
  }, function () {});
})();

// Selects the whole of a field marked data-select-on-focus when it gets the
// focus, so a secret shown once is copied whole.
(function () {
  "use strict";
  var fields = document.querySelectorAll("[data-select-on-focus]");
  for (var i = 0; i < fields.length; i++) {
    fields[i].addEventListener("focus", function (e) { e.target.select(); });
  }
})();

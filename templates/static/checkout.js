// Conveniences of the details step; without this script the form works
// the same, only with more typing.
(function () {
  "use strict";
  // "Use the buyer's name and email" on each ticket: a buyer who comes
  // alone need not type themselves twice.
  var buttons = document.querySelectorAll("[data-copy-buyer]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      var i = button.getAttribute("data-copy-buyer");
      var pairs = [["buyer_name", "attendee_" + i + "_name"], ["buyer_email", "attendee_" + i + "_email"]];
      pairs.forEach(function (pair) {
        var from = document.getElementById(pair[0]), to = document.getElementById(pair[1]);
        if (from && to && from.value) to.value = from.value;
      });
    });
  });
  // After a refused submit, focus goes to the first field with a problem
  // (its message is read out through aria-describedby); the summary at the
  // top, announced as an alert, lists them all.
  var first = document.querySelector('form.details [aria-invalid="true"]');
  if (first) {
    first.focus();
  } else {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }
})();

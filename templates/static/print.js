// Shows a Print button on the printable tickets page. Without this script
// the browser's own print command prints the page alike.
(function () {
  "use strict";
  var button = document.getElementById("print");
  if (!button || !window.print) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();

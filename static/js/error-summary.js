// The error summary (templates/includes/_error_summary.html) takes the focus when the page opens,
// so it is read first; following one of its links moves the focus into that field, not only the
// page's scroll. Without JavaScript the summary and its links still work as a list of anchors.
(function () {
  "use strict";
  function start() {
    var summary = document.getElementById("error-summary");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) {
        return;
      }
      var field = target.matches("input, select, textarea")
        ? target
        : target.querySelector("input:not([type=hidden]), select, textarea");
      if (field) {
        event.preventDefault();
        target.scrollIntoView();
        field.focus({ preventScroll: true });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

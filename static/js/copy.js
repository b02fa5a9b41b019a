// "Copy" buttons: <button data-copy-target="ID" hidden> copies the value (or text) of element ID
// and says so in the element named by data-copy-status. Without JavaScript the button stays
// hidden and the field can be selected and copied by hand.
(function () {
  "use strict";

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target) {
      return;
    }
    var text = "value" in target ? target.value : target.textContent;
    var done = function () {
      if (status) {
        status.textContent = "Copied. You can paste it into your calendar app now.";
      }
    };
    var byHand = function () {
      if (target.select) {
        target.focus();
        target.select();
      }
      if (status) {
        status.textContent = "The address is selected: press Ctrl+C (or Cmd+C on a Mac) to copy it.";
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, byHand);
    } else {
      byHand();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(button);
      });
    });
  });
})();

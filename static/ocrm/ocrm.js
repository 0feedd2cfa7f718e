// Behaviour every page shares. No inline script or event handler anywhere: the
// Content-Security-Policy allows scripts from our static files only.
(function () {
  "use strict";
  // A <select data-autosubmit> (the language switch) submits its form when changed.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit], #language-switch select");
    if (select && select.form) { select.form.submit(); }
  });
})();

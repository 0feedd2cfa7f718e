// Print buttons of the calculators and plan illustrations (no inline handlers: the CSP forbids them).
document.addEventListener("click", function (event) {
  "use strict";
  if (event.target.closest("[data-print]")) { window.print(); }
});

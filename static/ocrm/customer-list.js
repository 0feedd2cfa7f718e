// The customer list: "select all" and "Reassign selected" with the ticked rows' customer numbers.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#bulk-reassign");
    if (!link) { return; }
    var numbers = Array.prototype.map.call(
      document.querySelectorAll('input[name="selection"][form="bulk-form"]:checked'),
      function (box) { return box.dataset.number; });
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("numbers", numbers.join(" "));
    link.href = url.toString();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-all") { return; }
    document.querySelectorAll('input[name="selection"][form="bulk-form"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
})();

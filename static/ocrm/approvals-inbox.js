// The approvals inbox: "select all", and the reject dialog filled from the button that opened it.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll(".inbox-select").forEach(function (box) { box.checked = all.checked; });
    });
  }
  var modal = document.getElementById("reject-modal");
  if (modal) {
    modal.addEventListener("show.bs.modal", function (event) {
      var button = event.relatedTarget;
      document.getElementById("reject-form").action = button.dataset.action;
      document.getElementById("reject-request-id").textContent = "#" + button.dataset.request;
      document.getElementById("reject-reason").value = "";
    });
  }
})();

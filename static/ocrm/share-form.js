// The share form: suggest colleagues as the person types (a few rows from the server, never the
// whole staff list). The look-up URL comes from the script tag's data-colleagues-url.
(function () {
  "use strict";
  var url = document.currentScript.dataset.colleaguesUrl;
  var input = document.getElementById("id_shared_with");
  var list = document.getElementById("colleague-suggestions");
  if (!input || !list || !url) { return; }
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { return; }
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (data) {
          list.replaceChildren();
          data.results.forEach(function (row) {
            var option = document.createElement("option");
            option.value = row.username;
            option.label = row.name + (row.branch ? " · " + row.branch : "");
            list.appendChild(option);
          });
        });
    }, 200);
  });
})();

// The dashboard's AUM chart (Chart.js): drawn when its card arrives (htmx swaps it in after the page loaded).
(function () {
  "use strict";
  function draw(root) {
    var canvas = root.querySelector ? root.querySelector("canvas.aum-chart") : null;
    var source = document.getElementById("aum-chart-data");
    if (!canvas || !source || typeof Chart === "undefined" || canvas.dataset.drawn) { return; }
    var points = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return p.label; }),
        datasets: [{label: canvas.dataset.label, data: points.map(function (p) { return p.value; }),
                    borderWidth: 2, pointRadius: 2, tension: 0.2, fill: false}]
      },
      options: {responsive: true, maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}}}
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();

// The 360 page's assets chart (Chart.js), drawn from the JSON its section carries (json_script).
// The section is deferred: htmx puts it in place after the page, so the chart is drawn then.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("assets-chart");
    var source = document.getElementById("assets-chart-data");
    if (!canvas || !source || typeof Chart === "undefined" || Chart.getChart(canvas)) { return; }
    var points = JSON.parse(source.textContent);
    if (!points.length) { return; }
    new Chart(canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return p.date; }),
        datasets: [{label: canvas.dataset.label, data: points.map(function (p) { return p.total; }),
                    borderWidth: 2, pointRadius: 0, tension: 0.2, fill: false}]
      },
      options: {responsive: true, maintainAspectRatio: false, animation: false,
                plugins: {legend: {display: false}}, scales: {x: {ticks: {maxTicksLimit: 6}}}}
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();

// The 360 page's assets chart (Chart.js), drawn from the JSON the page carries (json_script).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("assets-chart");
  var source = document.getElementById("assets-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
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
});

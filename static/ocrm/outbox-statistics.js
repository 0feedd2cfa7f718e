// The outbox statistics chart (Chart.js): messages per day, one stacked bar per state (json_script data).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("outbox-chart");
  var source = document.getElementById("outbox-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  if (!chart.labels.length) { return; }
  new Chart(canvas, {
    type: "bar",
    data: chart,
    options: {responsive: true, maintainAspectRatio: false, animation: false,
              scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}}
  });
});

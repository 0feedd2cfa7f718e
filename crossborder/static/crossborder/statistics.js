// The cross-border statistics chart (Chart.js, local): requests per partner bank and direction,
// one stacked bar per outcome (json_script data).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("xborder-stats-chart");
  var source = document.getElementById("xborder-stats-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  if (!chart.labels.length) { return; }
  new Chart(canvas, {
    type: "bar",
    data: chart,
    options: {responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y",
              scales: {x: {stacked: true, beginAtZero: true}, y: {stacked: true}}}
  });
});

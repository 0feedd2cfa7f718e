// The cross-border statistics charts (Chart.js, local; data from json_script): requests per group
// as stacked bars by outcome, and the average business hours to complete per group.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  function draw(canvasId, dataId, stacked) {
    var canvas = document.getElementById(canvasId);
    var source = document.getElementById(dataId);
    if (!canvas || !source) { return; }
    var chart = JSON.parse(source.textContent);
    if (!chart.labels.length) { return; }
    new Chart(canvas, {
      type: "bar",
      data: chart,
      options: {responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y",
                scales: {x: {stacked: stacked, beginAtZero: true}, y: {stacked: stacked}}}
    });
  }
  draw("xborder-stats-chart", "xborder-stats-data", true);
  draw("xborder-hours-chart", "xborder-hours-data", false);
});

// The ACRM analyses' charts (Chart.js, served locally): the 80/20 curve of the Pareto page
// (json_script "pareto-chart-data"), and the print button of every analysis page.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  var canvas = document.getElementById("pareto-chart");
  var source = document.getElementById("pareto-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  chart.datasets[2].borderDash = [4, 4];
  new Chart(canvas, {
    type: "line",
    data: chart,
    options: {responsive: true, maintainAspectRatio: false, animation: false,
              scales: {y: {beginAtZero: true, suggestedMax: 100, ticks: {callback: function (v) { return v + "%"; }}}}}
  });
});

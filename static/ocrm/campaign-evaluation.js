// The campaign evaluation chart (Chart.js): response and conversion rate per branch (json_script data).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("campaign-chart");
  var source = document.getElementById("campaign-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  if (!chart.labels.length) { return; }
  new Chart(canvas, {
    type: "bar",
    data: {labels: chart.labels, datasets: [
      {label: chart.response_label, data: chart.response},
      {label: chart.conversion_label, data: chart.conversion}
    ]},
    options: {responsive: true, maintainAspectRatio: false, animation: false, scales: {y: {beginAtZero: true}}}
  });
});

// The weighted forecast chart (Chart.js): one bar series per manager or branch, by close month.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("pipeline-forecast-chart");
  var source = document.getElementById("pipeline-forecast-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: data,
    options: {responsive: true, maintainAspectRatio: false, animation: false, scales: {x: {stacked: true}, y: {stacked: true}}}
  });
});

// The report pages (reports.catalogue): draw each chart from the JSON the page carries
// (json_script "report-charts"), and the print button.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var printButton = document.querySelector("[data-report-print]");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  document.querySelectorAll("canvas[data-report-chart]").forEach(function (canvas) {
    var chart = charts[parseInt(canvas.dataset.reportChart, 10)];
    if (!chart) { return; }
    new Chart(canvas, {
      type: chart.type,
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (d) {
          return {label: d.label, data: d.data, borderWidth: chart.type === "line" ? 2 : 1, pointRadius: 0, tension: 0.1, fill: false};
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: {mode: "index", intersect: false},
        plugins: {title: {display: true, text: chart.title}},
        scales: {x: {ticks: {maxTicksLimit: 12}}}
      }
    });
  });
});

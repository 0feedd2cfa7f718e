// The rate board's history chart (Chart.js): the day's middle, buying and selling rates of one
// currency, drawn from the JSON the page carries (json_script).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("fx-history-chart");
  var source = document.getElementById("fx-history-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var points = JSON.parse(source.textContent);
  if (!points.length) { return; }
  function line(label, key, width) {
    return {label: label, data: points.map(function (p) { return p[key]; }), borderWidth: width, pointRadius: 0,
            tension: 0.1, fill: false, spanGaps: true};
  }
  new Chart(canvas, {
    type: "line",
    data: {
      labels: points.map(function (p) { return p.date; }),
      datasets: [line(canvas.dataset.sell, "sell", 1), line(canvas.dataset.middle, "middle", 2), line(canvas.dataset.buy, "buy", 1)]
    },
    options: {responsive: true, maintainAspectRatio: false, animation: false, interaction: {mode: "index", intersect: false},
              scales: {x: {ticks: {maxTicksLimit: 8}}}}
  });
});

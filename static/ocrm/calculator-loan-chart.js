// The loan calculator's chart (Chart.js): each instalment's principal and interest (stacked bars)
// and the remaining balance (line), drawn from the JSON the page carries (json_script).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("calculator-loan-chart");
  var source = document.getElementById("calculator-loan-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var rows = JSON.parse(source.textContent);
  if (!rows.length) { return; }
  function values(key) { return rows.map(function (r) { return Number(r[key]); }); }
  new Chart(canvas, {
    data: {
      labels: rows.map(function (r) { return r.n; }),
      datasets: [
        {type: "bar", label: canvas.dataset.principal, data: values("principal"), stack: "payment", yAxisID: "y"},
        {type: "bar", label: canvas.dataset.interest, data: values("interest"), stack: "payment", yAxisID: "y"},
        {type: "line", label: canvas.dataset.balance, data: values("balance"), pointRadius: 0, borderWidth: 2, yAxisID: "balance"}
      ]
    },
    options: {responsive: true, maintainAspectRatio: false, animation: false, interaction: {mode: "index", intersect: false},
              scales: {x: {stacked: true, ticks: {maxTicksLimit: 12}}, y: {stacked: true, position: "left"},
                       balance: {position: "right", grid: {drawOnChartArea: false}}}}
  });
});

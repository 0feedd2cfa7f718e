// Appraisal charts (Chart.js): a scorecard's points against the weights, and the team page's
// average score by branch, drawn from the JSON the page carries (json_script).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  function data(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }
  var score = document.getElementById("kpi-score-chart");
  var scoreData = data("kpi-score-data");
  if (score && scoreData && scoreData.labels.length) {
    new Chart(score, {
      type: "bar",
      data: {labels: scoreData.labels, datasets: [
        {label: score.dataset.points, data: scoreData.points},
        {label: score.dataset.weights, data: scoreData.weights}
      ]},
      options: {responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y"}
    });
  }
  var team = document.getElementById("kpi-team-chart");
  var teamData = data("kpi-team-data");
  if (team && teamData && teamData.labels.length) {
    new Chart(team, {
      type: "bar",
      data: {labels: teamData.labels, datasets: [{label: team.dataset.label, data: teamData.points}]},
      options: {responsive: true, maintainAspectRatio: false, animation: false}
    });
  }
});

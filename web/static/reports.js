// Draws the monthly report's charts with Chart.js (from npm, served under /vendor) from the JSON on the page.
(function () {
  "use strict";
  const source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") { return; }
  const data = JSON.parse(source.textContent);
  const names = data.labels;
  const colours = { justified: "#c0392b", partly_justified: "#e67e22", unjustified: "#27ae60", undetermined: "#95a5a6" };
  Chart.defaults.animation = false;  // draw at once: people print these reports

  new Chart(document.getElementById("chart-justification"), {
    type: "bar",
    data: {
      labels: data.justification_by_year.map(function (r) { return r.year; }),
      datasets: ["justified", "partly_justified", "unjustified", "undetermined"].map(function (key) {
        return { label: names[key], backgroundColor: colours[key],
                 data: data.justification_by_year.map(function (r) { return r[key]; }) };
      })
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
  });

  new Chart(document.getElementById("chart-loyalty"), {
    type: "bar",
    data: {
      labels: data.loyalty_by_year.map(function (r) { return r.year; }),
      datasets: [
        { label: names.loyalty, backgroundColor: "#2980b9", data: data.loyalty_by_year.map(function (r) { return r.loyalty_percent; }) },
        { label: names.satisfaction, backgroundColor: "#8e44ad", data: data.loyalty_by_year.map(function (r) { return r.satisfaction_percent; }) }
      ]
    },
    options: { scales: { y: { beginAtZero: true, max: 100 } } }
  });

  new Chart(document.getElementById("chart-on-time"), {
    type: "line",
    data: {
      labels: data.on_time_by_month.map(function (r) { return r.month; }),
      datasets: [{ label: names.on_time, borderColor: "#16a085", backgroundColor: "#16a085", spanGaps: false,
                   data: data.on_time_by_month.map(function (r) { return r.percent; }) }]
    },
    options: { scales: { y: { beginAtZero: true, max: 100 } } }
  });
}());

// The backlog dashboard's charts (the same figures are in the tables below them).
(function () {
  const data = JSON.parse(document.getElementById("backlog-data").textContent);
  const colours = ["#d4351c", "#f47738", "#1d70b8", "#505a5f"];
  Object.keys(data).forEach(function (kind) {
    const d = data[kind];
    new Chart(document.getElementById("chart-" + kind + "-bands"), {
      type: "bar",
      data: {labels: d.bands, datasets: d.priorities.map((p, i) => ({label: p.label, data: p.bands, backgroundColor: colours[i]}))},
      options: {animation: false, scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}},
    });
    new Chart(document.getElementById("chart-" + kind + "-weeks"), {
      type: "line",
      data: {
        labels: d.weeks.map(w => new Intl.DateTimeFormat("en-GB", {day: "numeric", month: "short"}).format(new Date(w.week + "T12:00:00Z"))),
        datasets: [
          {label: "Received", data: d.weeks.map(w => w.received), borderColor: "#d4351c", backgroundColor: "#d4351c"},
          {label: "Processed", data: d.weeks.map(w => w.processed), borderColor: "#00703c", backgroundColor: "#00703c"},
        ],
      },
      options: {animation: false, scales: {y: {beginAtZero: true}}},
    });
  });
})();

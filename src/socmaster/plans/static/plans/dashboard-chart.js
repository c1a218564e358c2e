// Moved out of the template so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  const rows = JSON.parse(document.getElementById("orgs-data").textContent);
  new Chart(document.getElementById("chart-orgs"), {type: "bar", data: {labels: rows.map(r => r.label), datasets: [
    {label: "Passing every check", data: rows.map(r => r.passing), backgroundColor: "#00703c"},
    {label: "Failing a check", data: rows.map(r => r.failing), backgroundColor: "#d4351c"},
    {label: "No plan", data: rows.map(r => r.no_plan), backgroundColor: "#505a5f"}]},
    options: {indexAxis: "y", animation: false, scales: {x: {stacked: true}, y: {stacked: true}}}});
})();

// Moved out of the template so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  const months = JSON.parse(document.getElementById("months-data").textContent);
  const fourp = JSON.parse(document.getElementById("fourp-data").textContent);
  new Chart(document.getElementById("chart-months"), {type: "bar", data: {labels: months.map(m => new Intl.DateTimeFormat("en-GB", {month: "short", year: "numeric"}).format(new Date(m.month + "-01T12:00:00Z"))), datasets: [{label: "Approved disruptions", data: months.map(m => m.n), backgroundColor: "#1d70b8"}]}, options: {animation: false, plugins: {legend: {display: false}}}});
  new Chart(document.getElementById("chart-fourp"), {type: "bar", data: {labels: fourp.map(r => r.label), datasets: [{label: "Approved disruptions", data: fourp.map(r => r.n), backgroundColor: "#00703c"}]}, options: {animation: false, plugins: {legend: {display: false}}}});
})();

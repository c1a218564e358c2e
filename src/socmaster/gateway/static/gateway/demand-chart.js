// The demand dashboard's charts (a file, not inline: see the Content-Security-Policy). The
// tables on the page hold the same figures.
(function () {
  const data = JSON.parse(document.getElementById("demand-data").textContent);
  const months = data.months;
  new Chart(document.getElementById("chart-months"), {type: "bar", data: {labels: months.labels, datasets: [
    {label: "Received", data: months.received, backgroundColor: "#1d70b8"},
    {label: "Accepted", data: months.accepted, backgroundColor: "#00703c"},
    {label: "Declined", data: months.declined, backgroundColor: "#d4351c"},
    {label: "Referred", data: months.referred, backgroundColor: "#f47738"},
    {label: "Unmet (no capacity)", data: months.unmet, backgroundColor: "#0b0c0c"}]},
    options: {animation: false}});
  const capabilities = data.capabilities;
  new Chart(document.getElementById("chart-capabilities"), {type: "bar", data: {labels: capabilities.labels, datasets: [
    {label: "Received", data: capabilities.received, backgroundColor: "#1d70b8"},
    {label: "Unmet (no capacity)", data: capabilities.unmet, backgroundColor: "#0b0c0c"}]},
    options: {indexAxis: "y", animation: false}});
})();

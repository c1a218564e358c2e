// Moved out of the template so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
    const points = JSON.parse(document.getElementById("score-data").textContent);
    const disruptions = JSON.parse(document.getElementById("disruption-data").textContent);
    const labels = [...new Set(points.map(p => p.date).concat(disruptions.map(d => d.date)))].sort();
    const scoreAt = Object.fromEntries(points.map(p => [p.date, p.score]));
    const disruptionAt = {};
    disruptions.forEach(d => { disruptionAt[d.date] = (disruptionAt[d.date] || []).concat(d.label); });
    new Chart(document.getElementById("score-chart"), {
      data: { labels: labels, datasets: [
        { type: "line", label: "Priority score", data: labels.map(l => scoreAt[l] ?? null), borderColor: "#1d70b8", stepped: true, spanGaps: true },
        { type: "scatter", label: "Approved disruption", data: labels.map(l => disruptionAt[l] ? 0 : null), pointStyle: "triangle", pointRadius: 8, backgroundColor: "#d4351c" }
      ] },
      options: { animation: false, scales: { y: { beginAtZero: true } },
        plugins: { tooltip: { callbacks: { afterLabel: ctx => ctx.datasetIndex === 1 ? (disruptionAt[labels[ctx.dataIndex]] || []).join(", ") : "" } } } }
    });
  })();

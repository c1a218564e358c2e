// The threat page's score chart: a time axis with UK dates, the scheme's tier bands shaded behind
// the line, and approved disruptions marked on the score in force on their date. Kept out of the
// template so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  const read = id => JSON.parse(document.getElementById(id).textContent);
  const points = read("score-data");
  const disruptions = read("disruption-data");
  const bands = read("tier-data");
  const ms = iso => Date.parse(iso + "T12:00:00Z");
  const uk = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "Europe/London" });
  const scoreOn = t => {  // the step value in force at time t (the first score before any)
    let value = points.length ? points[0].score : 0;
    points.forEach(p => { if (ms(p.date) <= t) value = p.score; });
    return value;
  };
  const top = Math.max(10, ...points.map(p => p.score)) * 1.1;
  const shades = ["rgba(29,112,184,0.28)", "rgba(29,112,184,0.20)", "rgba(29,112,184,0.13)", "rgba(29,112,184,0.07)", "rgba(29,112,184,0.02)"];
  const tierBands = {
    id: "tierBands",
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea: area, scales: { y } } = chart;
      const sorted = bands.slice().sort((a, b) => a.tier - b.tier);  // Tier 1 has the highest minimum
      ctx.save();
      sorted.forEach((band, i) => {
        const upper = i === 0 ? y.max : sorted[i - 1].min;
        const yTop = y.getPixelForValue(Math.min(upper, y.max));
        const yBottom = y.getPixelForValue(Math.max(band.min, y.min));
        if (yBottom <= yTop) return;
        ctx.fillStyle = shades[Math.min(band.tier - 1, shades.length - 1)];
        ctx.fillRect(area.left, yTop, area.right - area.left, yBottom - yTop);
        ctx.fillStyle = "#0b0c0c";
        ctx.font = "12px sans-serif";
        ctx.fillText("Tier " + band.tier, area.left + 6, yBottom - 4);
      });
      ctx.restore();
    },
  };
  new Chart(document.getElementById("score-chart"), {
    type: "line",
    data: {
      datasets: [
        { label: "Priority score", data: points.map(p => ({ x: ms(p.date), y: p.score, p })), borderColor: "#1d70b8", backgroundColor: "#1d70b8", stepped: true, pointRadius: 5, pointStyle: "circle" },
        { type: "scatter", label: "Approved disruption", data: disruptions.map(d => ({ x: ms(d.date), y: scoreOn(ms(d.date)), d })), pointStyle: "triangle", pointRadius: 9, backgroundColor: "#d4351c", borderColor: "#0b0c0c", borderWidth: 1 },
      ],
    },
    plugins: [tierBands],
    options: {
      animation: false,
      parsing: false,
      scales: {
        x: { type: "linear", ticks: { callback: v => uk.format(new Date(v)), maxTicksLimit: 8 } },
        y: { beginAtZero: true, suggestedMax: top, title: { display: true, text: "Priority score" } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: items => uk.format(new Date(items[0].raw.x)),
            label: ctx => ctx.raw.p ? `Score ${ctx.raw.p.score.toFixed(1)} (Tier ${ctx.raw.p.tier}), version ${ctx.raw.p.version}` : `Disruption: ${ctx.raw.d.label}`,
            afterLabel: ctx => ctx.raw.p ? [ctx.raw.p.change ? "Change " + ctx.raw.p.change : "First assessment", ctx.raw.p.reason] : "",
          },
        },
      },
    },
  });
})();

// Reports: completion-rate bar charts (Chart.js, vendored) and "select all" checkboxes.
// Chart data comes from <script type="application/json" id="report-data">; the pages work without JS.
(() => {
  const source = document.getElementById("report-data");
  if (source && window.Chart) {
    const data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const set = data[canvas.dataset.chart];
      if (!set || !set.labels.length) {
        return;
      }
      canvas.parentElement.style.height = `${Math.max(140, set.labels.length * 34 + 50)}px`;
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: set.labels,
          datasets: [{ label: data.label, data: set.values, backgroundColor: "#0b5c7a", maxBarThickness: 26 }],
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          animation: false,
          scales: { x: { min: 0, max: 100, ticks: { callback: (value) => `${value}%` } } },
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: (context) => `${context.parsed.x}%` } },
          },
        },
      });
    });
  }

  document.querySelectorAll("input[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      const form = box.closest("form");
      form.querySelectorAll(`input[name="${box.dataset.selectAll}"]`).forEach((item) => {
        item.checked = box.checked;
      });
    });
  });
})();

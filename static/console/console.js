// Charts from data attributes (no inline scripts), and Django's CSRF token on every htmx request.
document.addEventListener("DOMContentLoaded", function () {
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    var cookie = document.cookie.split("; ").find(function (c) { return c.indexOf("csrftoken=") === 0; });
    var value = token ? token.value : (cookie ? cookie.split("=")[1] : "");
    if (value) { event.detail.headers["X-CSRFToken"] = value; }
  });
  drawCharts(document);
  document.body.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
});

function drawCharts(root) {
  if (typeof Chart === "undefined") { return; }
  root.querySelectorAll("canvas[data-values]").forEach(function (canvas) {
    if (canvas.dataset.drawn) { return; }
    canvas.dataset.drawn = "1";
    var labels = canvas.dataset.labels ? canvas.dataset.labels.split(canvas.dataset.separator || ",") : [];
    var values = canvas.dataset.values ? canvas.dataset.values.split(",").map(Number) : [];
    new Chart(canvas, {
      type: canvas.dataset.kind || "bar",
      data: { labels: labels, datasets: [{ label: canvas.dataset.label || "rows", data: values,
        backgroundColor: "#79aec8" }] },
      options: { animation: false, indexAxis: canvas.dataset.axis || "x",
        plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
    });
  });
}

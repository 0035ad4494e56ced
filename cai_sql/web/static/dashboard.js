// Draws every figure the page carries (data-figure holds a plotly figure as JSON).
(function () {
  function draw() {
    document.querySelectorAll("div.chart[data-figure]").forEach(function (el) {
      var figure = JSON.parse(el.getAttribute("data-figure"));
      Plotly.newPlot(el, figure.data, figure.layout, {displaylogo: false, responsive: true});
      el.setAttribute("data-drawn", "true");
    });
    document.body.setAttribute("data-charts", "drawn");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

// Draws every figure the page carries (data-figure holds a plotly figure as JSON).
(function () {
  function draw() {
    document.querySelectorAll("div.chart[data-figure]").forEach(function (el) {
      var figure = JSON.parse(el.getAttribute("data-figure"));
      // the toolbar shows on hover in the band the figures leave free above their titles (charts.MODEBAR_ROOM)
      Plotly.newPlot(el, figure.data, figure.layout,
                     {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]});
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

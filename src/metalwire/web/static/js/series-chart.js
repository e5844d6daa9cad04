// Hover (or arrow-key) readout of the series chart: the date and mid of the nearest plotted day.
// The chart is complete without it; the points and the plot box come from the SVG's data-*.
(function () {
  "use strict";
  var svg = document.getElementById("price-chart");
  var out = document.getElementById("price-readout");
  if (!svg || !out) return;
  var d = svg.dataset;
  var labels = d.labels.split(" ");
  var values = d.values.split(" ");
  var left = +d.left, top = +d.top, w = +d.plotWidth, h = +d.plotHeight;
  var low = +d.low, high = +d.high;
  var last = labels.length - 1;
  var cursor = svg.querySelector(".cursor");
  var marker = svg.querySelector(".marker");
  var lang = document.documentElement.lang || undefined;
  var index = last;

  function show(i) {
    index = Math.max(0, Math.min(last, i));
    var x = last ? left + (w * index) / last : left + w / 2;
    var y = top + (h * (high - +values[index])) / (high - low);
    cursor.setAttribute("x1", x);
    cursor.setAttribute("x2", x);
    marker.setAttribute("cx", x);
    marker.setAttribute("cy", y);
    cursor.setAttribute("visibility", "visible");
    marker.setAttribute("visibility", "visible");
    // The values are published decimals: keep their places (30.50 stays 30.50).
    var places = (values[index].split(".")[1] || "").length;
    var fmt = new Intl.NumberFormat(lang, {
      minimumFractionDigits: places, maximumFractionDigits: places
    });
    out.textContent = labels[index] + ": " + fmt.format(+values[index]);
  }

  svg.addEventListener("pointermove", function (event) {
    var box = svg.getBoundingClientRect();
    var x = ((event.clientX - box.left) * svg.viewBox.baseVal.width) / box.width;
    show(Math.round(last ? ((x - left) / w) * last : 0));
  });
  svg.setAttribute("tabindex", "0");
  svg.addEventListener("focus", function () { show(index); });
  svg.addEventListener("keydown", function (event) {
    var step = { ArrowLeft: -1, ArrowRight: 1, Home: -last, End: last }[event.key];
    if (step) { event.preventDefault(); show(index + step); }
  });
})();

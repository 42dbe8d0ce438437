// Turn every chart placeholder into a live Vega view (SVG renderer: chart text is searchable).
// Views are kept in window.hbmcycleViews so a test can check that each chart is live.
(function () {
  window.hbmcycleViews = [];
  window.hbmcycleChartErrors = [];
  var options = {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
  };
  var charts = document.querySelectorAll("div.hbm-chart");
  var pending = [];
  charts.forEach(function (div) {
    var spec = JSON.parse(div.querySelector("script.hbm-spec").textContent);
    var target = document.createElement("div");
    div.appendChild(target);
    pending.push(
      vegaEmbed(target, spec, options).then(function (result) {
        var svg = target.querySelector("svg");
        if (svg) { svg.setAttribute("aria-label", div.getAttribute("aria-label")); svg.setAttribute("role", "img"); }
        window.hbmcycleViews.push(result.view);
      }).catch(function (error) {
        window.hbmcycleChartErrors.push(String(error));
        console.error("chart failed: " + error);
      })
    );
  });
  window.hbmcycleChartsReady = Promise.all(pending).then(function () { return window.hbmcycleViews.length; });
})();

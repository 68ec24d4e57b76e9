/* The exhibition site's small amount of script: the phone menu and the ECharts charts. */
(function () {
  "use strict";

  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
      nav.classList.toggle("is-open", !open);
    });
  }

  /* Filter selects submit their form at once when the page asks for it (the button stays for no-JS). */
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var palette = ["#1d4f91", "#d9822b", "#2a9d8f", "#9b5de5", "#e63946", "#457b9d"];

  var builders = {
    /* Patents per zone: total and in force, one bar pair per zone. */
    "zone-bars": function (el, data) {
      return {
        color: palette,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 4 && el.clientWidth < 640 ? 40 : 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: el.dataset.labelTotal, type: "bar", data: data.total },
          { name: el.dataset.labelInForce, type: "bar", data: data.in_force }
        ]
      };
    },
    /* Patents by IPC subclass: horizontal bars, largest on top, titles in the tooltip. */
    "subclass-bars": function (el, data) {
      return {
        color: [palette[0]],
        tooltip: {
          trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
          formatter: function (items) {
            var i = items[0].dataIndex;
            return "<strong>" + data.labels[i] + "</strong> " + (data.titles[i] || "") + "<br>" + items[0].value;
          }
        },
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: data.labels.slice().reverse() },
        series: [{ name: el.dataset.labelCount, type: "bar", data: data.counts.slice().reverse() }]
      };
    },
    /* Names (applicants): horizontal bars, long names cut to the width a phone can give them. */
    "name-bars": function (el, data) {
      var narrow = el.clientWidth < 520;
      return {
        color: [palette[2]],
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: {
          type: "category", data: data.labels.slice().reverse(),
          axisLabel: { width: narrow ? 120 : 220, overflow: "truncate" }
        },
        series: [{ name: el.dataset.labelCount, type: "bar", data: data.counts.slice().reverse() }]
      };
    },
    /* Legal-status mix: a ring, legend below so it fits a phone. */
    "status-pie": function (el, data) {
      var colours = { in_force: "#2a9d8f", pending: "#1d4f91", expired: "#8d99ae", lapsed: "#d9822b",
        invalidated: "#e63946", abandoned: "#9b5de5", withdrawn: "#6c757d", rejected: "#b5179e" };
      return {
        tooltip: { trigger: "item", confine: true, formatter: "{b}: {c} ({d}%)" },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          name: el.dataset.labelCount, type: "pie", radius: ["38%", "66%"], center: ["50%", "44%"],
          label: { formatter: "{b}\n{d}%" },
          data: data.labels.map(function (label, i) {
            return { name: label, value: data.counts[i], itemStyle: { color: colours[data.keys[i]] || palette[i % palette.length] } };
          })
        }]
      };
    },
    /* Filing trend: patents by application year. */
    "year-line": function (el, data) {
      return {
        color: [palette[1]],
        tooltip: { trigger: "axis" },
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: el.dataset.labelCount, type: "bar", data: data.counts }]
      };
    }
  };

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var data = readJson(el.dataset.source);
    var build = builders[el.dataset.chart];
    if (!data || !build || typeof window.echarts === "undefined") { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(build(el, data));
    el.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  if (charts.length) {
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
})();

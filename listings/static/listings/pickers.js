/* Searchable pickers (Tom Select, vendored in /static/vendor/tom-select/): select[data-picker] becomes a picker with
   a search box (its optgroups kept), input[data-ipc-picker] an IPC picker that looks codes up by code or words in the
   IPC scheme (GET data-lookup-url, /api/ipc/lookup/). Without JavaScript the plain select and text input remain, and
   the server parses them as before. */
(function () {
  "use strict";
  if (typeof window.TomSelect === "undefined") return;
  var english = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  var words = english
    ? { none: "No match", add: "Add", searching: "Searching…" }
    : { none: "没有匹配项", add: "添加", searching: "正在查找…" };
  var IPC_CODE = /^[A-Ha-h](\d{1,2}([A-Za-z](\s*\d{1,4}(\/\d{0,6})?)?)?)?$/;

  function escapeText(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  document.querySelectorAll("select[data-picker]").forEach(function (el) {
    new window.TomSelect(el, {
      plugins: el.multiple ? ["remove_button"] : [],
      maxOptions: null,
      allowEmptyOption: !el.multiple,
      hidePlaceholder: el.multiple,
      placeholder: el.getAttribute("data-placeholder") || "",
      render: { no_results: function () { return '<div class="no-results">' + words.none + "</div>"; } },
    });
  });

  document.querySelectorAll("input[data-ipc-picker]").forEach(function (el) {
    var url = el.getAttribute("data-lookup-url");
    var maxItems = parseInt(el.getAttribute("data-max-items") || "0", 10) || null;
    el.value = el.value.split(/[,，\n]/).map(function (c) { return c.trim(); }).filter(Boolean).join(",");
    new window.TomSelect(el, {
      delimiter: ",",
      persist: false,
      maxItems: maxItems,
      valueField: "code",
      labelField: "code",
      searchField: ["code", "display_code", "title"],
      placeholder: el.getAttribute("placeholder") || "",
      create: function (input) { return { code: input.replace(/\s+/g, "").toUpperCase(), title: "" }; },
      createFilter: function (input) { return IPC_CODE.test(input.trim()); },
      loadThrottle: 250,
      shouldLoad: function (query) { return query.trim().length >= 1 && query.length <= 50; },
      load: function (query, callback) {
        fetch(url + "?" + new URLSearchParams({ q: query.trim(), limit: "20" }), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) { callback(data.results); })
          .catch(function () { callback(); });
      },
      render: {
        option: function (item) {
          return '<div class="ipc-option"><span class="mono">' + escapeText(item.display_code || item.code) + "</span> " +
            '<span class="ipc-option-title">' + escapeText(item.title) + "</span></div>";
        },
        item: function (item) {
          return '<div title="' + escapeText(item.title) + '"><span class="mono">' + escapeText(item.code) + "</span></div>";
        },
        option_create: function (data) {
          return '<div class="create">' + words.add + ' <span class="mono">' + escapeText(data.input) + "</span></div>";
        },
        no_results: function () { return '<div class="no-results">' + words.none + "</div>"; },
        loading: function () { return '<div class="spinner" aria-label="' + words.searching + '"></div>'; },
      },
    });
  });
})();

// Title and applicant completions for the search box (GET /api/search/autocomplete).
(function () {
  var input = document.getElementById("zs-q");
  var list = document.getElementById("zs-q-suggestions");
  if (!input || !list) return;
  var timer = null, last = "";
  input.addEventListener("input", function () {
    var text = input.value.trim();
    if (timer) clearTimeout(timer);
    if (!text || text === last) return;
    timer = setTimeout(function () {
      last = text;
      var base = input.getAttribute("data-autocomplete-url");
      Promise.all(["title", "applicant"].map(function (field) {
        return fetch(base + "?" + new URLSearchParams({ q: text, field: field, limit: "6" }))
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .catch(function () { return { suggestions: [] }; });
      })).then(function (answers) {
        list.textContent = "";
        answers.forEach(function (answer) {
          answer.suggestions.forEach(function (s) {
            var option = document.createElement("option");
            option.value = s;
            list.appendChild(option);
          });
        });
      });
    }, 150);
  });
})();
// The facets open beside the results on a desktop; on a phone they fold behind their toggle so the results come first.
(function () {
  var facets = document.getElementById("zs-facets");
  if (!facets || !window.matchMedia) return;
  var below = parseInt(facets.getAttribute("data-fold-below") || "768", 10);
  var phone = window.matchMedia("(max-width: " + below + "px)");
  function fit() { facets.open = !phone.matches; }
  fit();
  if (phone.addEventListener) phone.addEventListener("change", fit);
})();

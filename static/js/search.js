/*
 * Live search. The search page works without this file: the form submits and the
 * server renders the results. With it, results update as the user types: the script asks the
 * server for the same results HTML (`partial=1`), swaps it in, and keeps the address bar in
 * step with history.replaceState, so the URL always reproduces what is on screen.
 */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var timer = null;
  var controller = null;

  /** The form's state as a query string, empty values left out (as the server writes links). */
  function formQuery() {
    var params = new URLSearchParams();
    var data = new FormData(form);
    data.forEach(function (value, key) {
      var text = String(value).trim();
      if (text) {
        params.append(key, text);
      }
    });
    return params.toString();
  }

  var shown = formQuery();

  function update() {
    var qs = formQuery();
    if (qs === shown) {
      return;
    }
    shown = qs;
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new AbortController() : null;
    results.setAttribute("aria-busy", "true");
    fetch("/search?" + (qs ? qs + "&" : "") + "partial=1", {
      signal: controller ? controller.signal : undefined,
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    })
      .then(function (response) {
        // 400 and 503 answers carry a results fragment with the message: show it too.
        return response.text();
      })
      .then(function (html) {
        results.innerHTML = html; // server-rendered and escaped by the same templates as the page
        results.removeAttribute("aria-busy");
        var url = "/search" + (qs ? "?" + qs : "");
        history.replaceState(null, "", url);
        var q = input ? input.value.trim() : "";
        document.title = (q ? q + ": search" : "Search") + " · Webinar Archive";
      })
      .catch(function (error) {
        results.removeAttribute("aria-busy");
        if (error && error.name === "AbortError") {
          return;
        }
        shown = null; // let the next keystroke (or Enter) try again
      });
  }

  if (input) {
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 200);
    });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    shown = null; // Enter always refreshes, even if the words did not change
    update();
  });
})();

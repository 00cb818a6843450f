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
  // The match mode (words, words and meaning, meaning): a new choice searches again at once.
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "mode") {
      update();
    }
  });
  // "N more in this webinar" is a link to the search filtered to that webinar; with JS it
  // expands in place: the same page's results fragment is fetched and its moments replace the
  // group's list. A webinar with more moments than one page keeps a link to see them all.
  results.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.more-moments") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    var group = link.closest(".group");
    link.setAttribute("aria-busy", "true");
    var href = link.getAttribute("href");
    fetch(href + (href.indexOf("?") < 0 ? "?" : "&") + "partial=1", {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var hits = doc.querySelector(".group .hits");
        var list = group.querySelector(".hits");
        if (!hits) {
          window.location.href = href;
          return;
        }
        if (list) {
          list.replaceWith(hits);
        } else {
          link.parentNode.before(hits);
        }
        if (doc.querySelector(".pager")) {
          link.textContent = "See every moment of this webinar";
          link.classList.remove("more-moments");
          link.removeAttribute("aria-busy");
        } else {
          link.parentNode.remove();
        }
        var first = hits.querySelector("a");
        if (first) {
          first.focus();
        }
      })
      .catch(function () {
        window.location.href = href;
      });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    shown = null; // Enter always refreshes, even if the words did not change
    update();
  });
})();

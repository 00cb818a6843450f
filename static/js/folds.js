/*
 * Folds: the <details data-fold> panels (the replay page's sharing tools, speakers, resources
 * and chapters) are open on a wide screen and closed on a phone, where the player and the
 * transcript come first. The server renders them closed; without JavaScript a wide screen shows
 * their content anyway (site.css, ::details-content), and a phone opens them with a tap.
 *
 * Loaded on every page by base.html, before the page's own script. It also marks the document
 * with the `js` class, which the stylesheet uses for what only makes sense with scripts.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  if (!window.matchMedia) {
    return;
  }
  var narrow = window.matchMedia("(max-width: 900px)");

  function apply() {
    Array.prototype.forEach.call(document.querySelectorAll("details[data-fold]"), function (el) {
      el.open = !narrow.matches;
    });
  }

  apply();
  // Turning a tablet or resizing a window across the breakpoint folds or unfolds them again.
  if (narrow.addEventListener) {
    narrow.addEventListener("change", apply);
  }
})();

// Live job status on the staff job pages: polls /api/jobs/<id> every second while a job is
// queued or running and updates the progress bar, stage, time left, error and buttons.
// Without JavaScript the page refreshes itself instead (<noscript> meta refresh).
(function () {
  "use strict";
  var FINISHED = ["succeeded", "failed", "cancelled"];

  function setText(root, selector, text) {
    var node = root.querySelector(selector);
    if (node) node.textContent = text;
  }

  function render(box, job) {
    box.dataset.state = job.state;
    setText(box, "[data-job-state]", job.state);
    setText(box, "[data-job-stage]", job.stage ? " · " + job.stage : "");
    var bar = box.querySelector("[data-job-progress]");
    if (bar) bar.value = job.progress;
    setText(box, "[data-job-percent]", Math.round(job.progress * 100) + "%");
    setText(box, "[data-job-eta]", job.eta_seconds != null ? "about " + Math.round(job.eta_seconds) + " s left" : "");
    var page = box.closest(".job-page");
    if (!page) return;
    var error = page.querySelector("[data-job-error]");
    if (error) {
      error.textContent = job.error || "";
      error.hidden = !job.error;
    }
    var retry = page.querySelector('[data-job-action="retry"]');
    if (retry) retry.hidden = !(job.state === "failed" || job.state === "cancelled");
    var cancel = page.querySelector('[data-job-action="cancel"]');
    if (cancel) cancel.hidden = !(job.state === "queued" || job.state === "running");
    var done = page.querySelector("[data-job-webinar]");
    if (done) done.hidden = job.state !== "succeeded";
  }

  function watch(box) {
    var url = box.dataset.jobUrl;
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (job) render(box, job);
          if (!job || FINISHED.indexOf(job.state) < 0) window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    if (FINISHED.indexOf(box.dataset.state) < 0) window.setTimeout(poll, 1000);
  }

  document.querySelectorAll(".job-status[data-job-url]").forEach(watch);
})();

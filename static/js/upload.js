/*
 * The upload form with resumable uploads. Without this file (or without tus-js-client) the form
 * posts the recording with the fields. With it, submitting first sends the recording in 8 MB
 * chunks over tus (/api/uploads): a dropped connection is retried from the last byte the server
 * has, and a page reloaded mid-upload resumes the same file (tus-js-client remembers it). When
 * the last chunk is in, the form posts the fields with the upload's id instead of the file.
 */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.tus || !window.tus.isSupported) {
    return;
  }
  var input = document.getElementById("recording");
  var hidden = document.getElementById("upload_id");
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var status = document.getElementById("upload-status");
  var button = document.getElementById("upload-submit");
  var csrf = form.querySelector("input[name=_csrf_token]");
  var maxBytes = Number(form.dataset.maxBytes || "0");
  var busy = false;

  function say(text) {
    status.textContent = text;
  }

  function megabytes(bytes) {
    return (bytes / 1e6).toFixed(bytes < 1e8 ? 1 : 0) + " MB";
  }

  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (hidden.value || !file) {
      return; // already uploaded, or nothing to send: a plain submit (the server says what is missing)
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    if (maxBytes && file.size > maxBytes) {
      say("This file is " + megabytes(file.size) + "; the largest accepted is " + megabytes(maxBytes) + ".");
      box.hidden = false;
      return;
    }
    busy = true;
    button.disabled = true;
    box.hidden = false;
    say("Starting the upload…");
    var upload = new window.tus.Upload(file, {
      endpoint: form.dataset.tusEndpoint,
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, filetype: file.type },
      headers: csrf ? { "X-CSRFToken": csrf.value } : {},
      onProgress: function (sent, total) {
        var percent = total ? Math.floor((sent / total) * 100) : 0;
        bar.value = percent;
        say(percent + "% uploaded (" + megabytes(sent) + " of " + megabytes(total) + ")");
      },
      onError: function (error) {
        busy = false;
        button.disabled = false;
        say("The upload stopped: " + (error && error.message ? error.message : error) +
            ". Submit again to resume from where it stopped.");
      },
      onSuccess: function () {
        var parts = upload.url.split("/");
        hidden.value = parts[parts.length - 1];
        input.disabled = true; // the file is on the server: post only the fields
        bar.value = 100;
        say("Uploaded. Checking the recording…");
        form.submit();
      },
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        say("Resuming an earlier upload of this file…");
      }
      upload.start();
    });
  });
})();

/*
 * Editing the transcript on the replay page, for signed-in staff (loaded only for them).
 *
 * "Edit the transcript" makes each line's text editable in place. Keyboard-first: Tab (or a
 * click) reaches a line, Enter saves it and moves to the next line, Esc puts the line back as
 * it was, Alt+P plays the line from its start; a line left with changes is saved too. Each save
 * is a PATCH of /api/webinars/{slug}/segments/{id} with the CSRF header (the token from
 * <meta name="csrf-token">); the server keeps the word times, records the change in the edit
 * history and re-indexes the webinar. Text is only ever read and written as text, never HTML.
 * It works while the recording plays: editing never seeks, only Alt+P does.
 */
(function () {
  "use strict";
  var tools = document.getElementById("edit-tools");
  var transcript = document.getElementById("transcript");
  var toggle = document.getElementById("edit-toggle");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!tools || !transcript || !toggle || !meta) {
    return;
  }
  var api = tools.getAttribute("data-api");
  var token = meta.getAttribute("content") || "";
  var help = document.getElementById("edit-help");
  var status = document.getElementById("edit-status");
  var player = document.getElementById("player");
  var editing = false;
  toggle.hidden = false;

  function lines() {
    return Array.prototype.slice.call(transcript.querySelectorAll(".seg .text"));
  }

  function segmentOf(span) {
    return span.closest(".seg");
  }

  function say(message, failed) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(failed));
  }

  function clock(seconds) {
    var whole = Math.max(0, Math.floor(seconds));
    var m = Math.floor(whole / 60);
    var s = whole % 60;
    return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function setEditing(on) {
    editing = on;
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.textContent = on ? "Stop editing" : "Edit the transcript";
    if (help) {
      help.hidden = !on;
    }
    lines().forEach(function (span) {
      if (on) {
        span.setAttribute("data-original", span.textContent);
        span.setAttribute("contenteditable", "true");
        span.setAttribute("spellcheck", "true");
        span.setAttribute("role", "textbox");
        span.setAttribute("aria-label", "Line at " + clock(parseFloat(segmentOf(span).getAttribute("data-start"))));
      } else {
        span.removeAttribute("contenteditable");
        span.removeAttribute("role");
        span.removeAttribute("aria-label");
      }
    });
    if (on) {
      var first = lines()[0];
      if (first) {
        first.focus();
      }
    }
  }

  function save(span) {
    var text = span.textContent.replace(/\s+/g, " ").trim();
    var original = span.getAttribute("data-original") || "";
    if (text === original.replace(/\s+/g, " ").trim()) {
      return Promise.resolve(true);
    }
    var seg = segmentOf(span);
    var id = seg.id.replace(/^s/, "");
    span.classList.add("saving");
    return fetch(api + id, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ text: text }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        span.classList.remove("saving");
        if (!result.ok) {
          span.classList.add("edit-error");
          say("Not saved: " + (result.body.detail || result.body.title || "the server refused it"), true);
          return false;
        }
        var saved = result.body.segment.text;
        span.textContent = saved;
        span.setAttribute("data-original", saved);
        span.classList.remove("edit-error");
        span.classList.add("edited");
        say("Saved the line at " + clock(result.body.segment.start) + ".", false);
        return true;
      })
      .catch(function () {
        span.classList.remove("saving");
        span.classList.add("edit-error");
        say("Not saved: the server could not be reached.", true);
        return false;
      });
  }

  function play(span) {
    if (!player) {
      return;
    }
    player.currentTime = parseFloat(segmentOf(span).getAttribute("data-start"));
    var started = player.play();
    if (started && started.catch) {
      started.catch(function () {});
    }
  }

  toggle.addEventListener("click", function () {
    setEditing(!editing);
  });

  transcript.addEventListener("keydown", function (event) {
    var span = event.target instanceof Element ? event.target.closest(".text[contenteditable]") : null;
    if (!editing || !span) {
      return;
    }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      var all = lines();
      var next = all[all.indexOf(span) + 1];
      save(span).then(function (ok) {
        if (ok && next) {
          next.focus();
        }
      });
    } else if (event.key === "Escape") {
      event.preventDefault();
      span.textContent = span.getAttribute("data-original") || "";
      span.classList.remove("edit-error");
      say("Line put back as it was.", false);
    } else if (event.altKey && (event.code === "KeyP" || event.key === "p" || event.key === "π")) {
      event.preventDefault();
      play(span);
    }
  });

  transcript.addEventListener("focusout", function (event) {
    var span = event.target instanceof Element ? event.target.closest(".text[contenteditable]") : null;
    if (editing && span) {
      save(span);
    }
  });

  // Clicking into a line places the caret; it does not seek the player (replay.js skips a
  // click whose default was prevented).
  transcript.addEventListener("click", function (event) {
    if (editing && event.target instanceof Element && event.target.closest(".text[contenteditable]")) {
      event.preventDefault();
    }
  });

  // Pasted text comes in as plain text.
  transcript.addEventListener("paste", function (event) {
    if (!editing || !(event.target instanceof Element) || !event.target.closest(".text[contenteditable]")) {
      return;
    }
    event.preventDefault();
    var text = (event.clipboardData || window.clipboardData).getData("text");
    document.execCommand("insertText", false, text.replace(/\s+/g, " "));
  });
})();

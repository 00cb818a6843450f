/*
 * Editing the transcript on the replay page, for signed-in staff (loaded only for them).
 *
 * "Edit the transcript" makes each line's text editable in place. Keyboard-first: Tab (or a
 * click) reaches a line, Enter saves it and moves to the next line, Esc puts the line back as
 * it was, Alt+P plays the line from its start, Alt+S splits it at the caret (between words),
 * Alt+M merges it with the next line, Alt+K changes its kind (intro, presentation, question,
 * answer, panel, other; one press, the next kind), Alt+V asks who says it (a name of the
 * webinar's people, or a voice label; Enter sets it, Esc leaves it), Alt+A asks which earlier
 * question the line answers (a list of the question lines, or none to unpair; Enter pairs, Esc
 * leaves it; a line paired becomes an answer), Alt+L asks which language the line is spoken in
 * (a code such as "de", empty for the webinar's); a line left with changes is saved too. Each save
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
  var KINDS = ["intro", "presentation", "question", "answer", "panel", "other"];
  var RESUME = "edit-resume";
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

  function call(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) {
          throw new Error(json.detail || json.title || "the server refused it");
        }
        return json;
      });
    });
  }

  function idOf(span) {
    return segmentOf(span).id.replace(/^s/, "");
  }

  // After a split or a merge the lines change: the page is loaded again, in edit mode, on the line.
  function reloadOn(id) {
    try {
      sessionStorage.setItem(RESUME, id);
    } catch (e) {
      /* private mode: the page simply reloads */
    }
    location.reload();
  }

  function wordAtCaret(span) {
    var selection = window.getSelection();
    if (!selection || !selection.rangeCount) {
      return -1;
    }
    var range = selection.getRangeAt(0).cloneRange();
    range.selectNodeContents(span);
    range.setEnd(selection.getRangeAt(0).startContainer, selection.getRangeAt(0).startOffset);
    var before = range.toString();
    return before.trim() ? before.trim().split(/\s+/).length : 0;
  }

  function split(span) {
    var word = wordAtCaret(span);
    var words = span.textContent.trim().split(/\s+/).length;
    if (word < 1 || word >= words) {
      say("Put the caret between two words of the line to split it there.", true);
      return;
    }
    save(span).then(function (ok) {
      if (!ok) {
        return;
      }
      call("POST", api + idOf(span) + "/split", { word: word })
        .then(function (body) {
          reloadOn(String(body.segments[1].id));
        })
        .catch(function (error) {
          say("Not split: " + error.message, true);
        });
    });
  }

  function merge(span) {
    save(span).then(function (ok) {
      if (!ok) {
        return;
      }
      call("POST", api + idOf(span) + "/merge")
        .then(function (body) {
          reloadOn(String(body.segment.id));
        })
        .catch(function (error) {
          say("Not merged: " + error.message, true);
        });
    });
  }

  function nextKind(span) {
    var seg = segmentOf(span);
    var current = seg.getAttribute("data-kind") || "";
    var kind = KINDS[(KINDS.indexOf(current) + 1) % KINDS.length];
    call("PATCH", api + idOf(span), { kind: kind })
      .then(function (body) {
        seg.setAttribute("data-kind", body.segment.kind);
        seg.classList.toggle("q", body.segment.kind === "question");
        say("The line at " + clock(body.segment.start) + " is now: " + body.segment.kind + ".", false);
      })
      .catch(function (error) {
        say("Kind not changed: " + error.message, true);
      });
  }

  // Ask for one value of the line in a small form under it: Enter sets it, Esc leaves it.
  // `ask.field` is the PATCH field, `ask.question` the label, `ask.list` a datalist's id (or
  // none), `ask.empty` whether an empty answer is sent (else it just closes the form).
  function askValue(span, ask) {
    var seg = segmentOf(span);
    var open = seg.nextElementSibling;
    if (open && open.classList.contains("edit-ask")) {
      open.querySelector("input").focus();
      return;
    }
    var form = document.createElement("form");
    form.className = "edit-ask edit-" + ask.field;
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.id = "edit-" + ask.field + "-" + idOf(span);
    if (ask.list) {
      input.setAttribute("list", ask.list);
    }
    input.autocomplete = "off";
    label.htmlFor = input.id;
    label.textContent = ask.question + " ";
    form.appendChild(label);
    form.appendChild(input);
    seg.parentNode.insertBefore(form, seg.nextSibling);
    input.focus();
    function close() {
      form.remove();
      span.focus();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!input.value.trim() && !ask.empty) {
        close();
        return;
      }
      var body = {};
      body[ask.field] = input.value.trim();
      call("PATCH", api + idOf(span), body)
        .then(function () {
          reloadOn(idOf(span));
        })
        .catch(function (error) {
          say(ask.failed + ": " + error.message, true);
          input.focus();
        });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
  }

  function askSpeaker(span) {
    var at = clock(parseFloat(segmentOf(span).getAttribute("data-start")));
    askValue(span, {
      field: "speaker",
      question: "Who says the line at " + at + "?",
      list: "edit-voices",
      empty: false,
      failed: "Speaker not changed",
    });
  }

  // The language the line is spoken in, where it is not the webinar's (empty: the webinar's).
  function askLanguage(span) {
    var at = clock(parseFloat(segmentOf(span).getAttribute("data-start")));
    askValue(span, {
      field: "language",
      question: "Language of the line at " + at + " (a code such as de; empty: the webinar's)?",
      list: null,
      empty: true,
      failed: "Language not changed",
    });
  }

  function shortText(seg) {
    var text = seg.querySelector(".text").textContent.replace(/\s+/g, " ").trim();
    return text.length > 60 ? text.slice(0, 59) + "\u2026" : text;
  }

  // Pair the line with the question it answers (or unpair it): the question lines before it.
  function askQuestion(span) {
    var seg = segmentOf(span);
    var open = seg.nextElementSibling;
    if (open && open.classList.contains("edit-pair")) {
      open.querySelector("select").focus();
      return;
    }
    var all = Array.prototype.slice.call(transcript.querySelectorAll(".seg"));
    var current = seg.getAttribute("data-answers") || "";
    var questions = all.slice(0, all.indexOf(seg)).filter(function (s) {
      return s.getAttribute("data-kind") === "question" || s.id === "s" + current;
    });
    if (!questions.length && !current) {
      say("No question line comes before this line: make one a question first (Alt+K).", true);
      return;
    }
    var form = document.createElement("form");
    form.className = "edit-pair";
    var label = document.createElement("label");
    var select = document.createElement("select");
    select.id = "edit-pair-" + idOf(span);
    label.htmlFor = select.id;
    label.textContent = "Which question does the line at " + clock(parseFloat(seg.getAttribute("data-start"))) + " answer? ";
    var none = document.createElement("option");
    none.value = "0";
    none.textContent = "None (not paired)";
    select.appendChild(none);
    questions.forEach(function (q) {
      var option = document.createElement("option");
      option.value = q.id.replace(/^s/, "");
      option.textContent = clock(parseFloat(q.getAttribute("data-start"))) + " " + shortText(q);
      select.appendChild(option);
    });
    select.value = current || (questions.length ? questions[questions.length - 1].id.replace(/^s/, "") : "0");
    var button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Pair";
    form.appendChild(label);
    form.appendChild(select);
    form.appendChild(button);
    seg.parentNode.insertBefore(form, seg.nextSibling);
    select.focus();
    function close() {
      form.remove();
      span.focus();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = parseInt(select.value, 10);
      if (String(answers) === (current || "0")) {
        close();
        return;
      }
      var body = { answers: answers };
      if (answers && seg.getAttribute("data-kind") !== "answer") {
        body.kind = "answer";
      }
      call("PATCH", api + idOf(span), body)
        .then(function () {
          reloadOn(idOf(span));
        })
        .catch(function (error) {
          say("Not paired: " + error.message, true);
          select.focus();
        });
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      } else if (event.key === "Enter" && event.target === select) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  toggle.addEventListener("click", function () {
    setEditing(!editing);
  });

  var resume = null;
  try {
    resume = sessionStorage.getItem(RESUME);
    sessionStorage.removeItem(RESUME);
  } catch (e) {
    resume = null;
  }
  if (resume) {
    setEditing(true);
    var line = document.getElementById("s" + resume);
    if (line && line.querySelector(".text")) {
      line.querySelector(".text").focus();
      say("Done: the lines were updated.", false);
    }
  }

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
    } else if (event.altKey && event.code === "KeyP") {
      event.preventDefault();
      play(span);
    } else if (event.altKey && event.code === "KeyS") {
      event.preventDefault();
      split(span);
    } else if (event.altKey && event.code === "KeyM") {
      event.preventDefault();
      merge(span);
    } else if (event.altKey && event.code === "KeyK") {
      event.preventDefault();
      nextKind(span);
    } else if (event.altKey && event.code === "KeyV") {
      event.preventDefault();
      askSpeaker(span);
    } else if (event.altKey && event.code === "KeyA") {
      event.preventDefault();
      askQuestion(span);
    } else if (event.altKey && event.code === "KeyL") {
      event.preventDefault();
      askLanguage(span);
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

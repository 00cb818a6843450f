/*
 * The replay page's player, transcript and sharing tools.
 *
 * The page works without this file: the player starts at ?t= through a media fragment in its
 * src, every timestamp is a link to ?t=, and the transcript is plain HTML. This script adds:
 * #t= (which the server never sees), stopping at the end of a clip, seeking in place when a
 * chapter or transcript line is clicked, the highlighted line that follows playback, a search
 * inside the transcript, copy-link and cite-this-moment that follow the player, and captions
 * on request (shown under the player for audio-only recordings, which have no picture to
 * draw them on). It is also loaded by the embeddable player, where most of these are absent.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var player = document.getElementById("player");
  if (!player) {
    return;
  }
  var transcript = document.getElementById("transcript");
  var article = document.querySelector("article.replay");
  var segs = transcript ? Array.prototype.slice.call(transcript.querySelectorAll(".seg")) : [];
  var starts = segs.map(function (el) {
    return parseFloat(el.getAttribute("data-start"));
  });
  var chapters = Array.prototype.slice.call(document.querySelectorAll("#chapters li"));
  var follow = document.getElementById("follow");
  var currentIndex = -1;
  var userScrolledAt = 0;
  var clipEnd = NaN;

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
    el.hidden = false;
  });

  /** Seconds from "150", "150.5", "2m30s", "1h02m30s", "1:02:30" (as server/web/timecode.py). */
  function parseTime(text) {
    if (text === null || text === undefined) {
      return NaN;
    }
    var value = String(text).trim().toLowerCase();
    var m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(value);
    if (m) {
      return (parseInt(m[1] || "0", 10) * 3600) + parseInt(m[2], 10) * 60 + parseFloat(m[3]);
    }
    m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(value);
    if (m && (m[1] || m[2] || m[3])) {
      return parseInt(m[1] || "0", 10) * 3600 + parseInt(m[2] || "0", 10) * 60 + parseFloat(m[3] || "0");
    }
    return NaN;
  }

  function clock(seconds) {
    var whole = Math.max(0, Math.floor(seconds));
    var h = Math.floor(whole / 3600);
    var m = Math.floor((whole % 3600) / 60);
    var s = whole % 60;
    var mm = (m < 10 ? "0" : "") + m;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function fromHash(name) {
    var m = new RegExp("(?:^#|&)" + name + "=([^&]+)").exec(location.hash);
    return m ? parseTime(decodeURIComponent(m[1])) : NaN;
  }

  var ends = segs.map(function (el) {
    return parseFloat(el.getAttribute("data-end"));
  });
  var pinned = -1; // the segment a seek aimed at, until playback reaches it

  /**
   * Index of the segment playing at t: the last one that starts at or before it, except that
   * links round down to whole seconds, so a segment starting within the next second is the one
   * meant when t falls in the pause before it or when a seek aimed at it (`pinned`).
   */
  function indexAt(t) {
    var lo = 0;
    var hi = starts.length - 1;
    var found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    var next = found + 1;
    if (next < starts.length && starts[next] - t < 1 && (found < 0 || t >= ends[found] || next === pinned)) {
      return next;
    }
    if (pinned >= 0 && found >= pinned) {
      pinned = -1;
    }
    return found;
  }

  /** Remember the segment a seek to t aims at (one starting within the next second). */
  function aim(t) {
    pinned = -1;
    for (var k = 0; k < starts.length; k++) {
      if (starts[k] >= t) {
        if (starts[k] - t < 1) {
          pinned = k;
        }
        break;
      }
    }
  }

  function keepInView(el) {
    if (!transcript || (follow && !follow.checked) || Date.now() - userScrolledAt < 4000) {
      return;
    }
    var top = el.offsetTop;
    var bottom = top + el.offsetHeight;
    if (top < transcript.scrollTop || bottom > transcript.scrollTop + transcript.clientHeight) {
      transcript.scrollTop = Math.max(0, top - transcript.clientHeight / 3);
    }
  }

  function pageUrl(t, end) {
    var url = location.origin + location.pathname + "?t=" + Math.floor(t);
    if (!isNaN(end)) {
      url += "&end=" + Math.floor(end);
    }
    return url;
  }

  function speakerOf(seg) {
    var turn = seg.closest(".turn");
    var name = turn ? turn.querySelector(".turn-head .speaker") : null;
    return name && !name.classList.contains("unknown") ? name.textContent.trim() : "";
  }

  function updateCitation(t) {
    var cite = document.getElementById("cite-text");
    var link = document.getElementById("moment-link");
    if (link) {
      link.value = pageUrl(t, NaN);
    }
    if (!cite || currentIndex < 0 || !article) {
      return;
    }
    var seg = segs[currentIndex];
    var speaker = speakerOf(seg);
    var date = article.getAttribute("data-date");
    cite.value =
      "\u201c" + seg.querySelector(".text").textContent.trim() + "\u201d " +
      (speaker ? speaker + ", " : "") +
      "in \u201c" + article.getAttribute("data-title") + "\u201d" +
      (date ? ", " + date : "") +
      ", at " + clock(seg.getAttribute("data-start")) + ". Webinar Archive. " +
      pageUrl(parseFloat(seg.getAttribute("data-start")), NaN);
  }

  function highlight(t, force) {
    var i = indexAt(t);
    if (i !== currentIndex) {
      if (currentIndex >= 0 && segs[currentIndex]) {
        segs[currentIndex].classList.remove("current");
        segs[currentIndex].removeAttribute("aria-current");
      }
      currentIndex = i;
      if (i >= 0) {
        segs[i].classList.add("current");
        segs[i].setAttribute("aria-current", "true");
        keepInView(segs[i]);
        updateCitation(t);
      }
    } else if (force && i >= 0) {
      keepInView(segs[i]);
    }
    var at = currentIndex >= 0 ? Math.max(t, starts[currentIndex]) : t; // the chapter of the line shown
    chapters.forEach(function (li) {
      var on = at >= parseFloat(li.getAttribute("data-start")) && at < parseFloat(li.getAttribute("data-end"));
      li.classList.toggle("current-chapter", on);
    });
  }

  function seek(t, play) {
    if (isNaN(t)) {
      return;
    }
    player.currentTime = t;
    userScrolledAt = 0;
    aim(t);
    highlight(t, true);
    history.replaceState(null, "", location.pathname + "?t=" + Math.floor(t));
    if (play) {
      var started = player.play();
      if (started && started.catch) {
        started.catch(function () {});
      }
    }
  }

  // --- where to start: #t= wins over ?t= (the server rendered ?t= into data-start) ---------
  var start = fromHash("t");
  if (isNaN(start)) {
    start = parseFloat(player.getAttribute("data-start"));
  }
  clipEnd = fromHash("end");
  if (isNaN(clipEnd)) {
    clipEnd = parseFloat(player.getAttribute("data-end"));
  }
  function applyStart() {
    if (!isNaN(start) && Math.abs(player.currentTime - start) > 0.25) {
      player.currentTime = start;
    }
  }
  if (!isNaN(start)) {
    if (player.readyState >= 1) {
      applyStart();
    } else {
      player.addEventListener("loadedmetadata", applyStart, { once: true });
    }
    aim(start);
    highlight(start, true);
  } else if (segs.length) {
    highlight(0, false);
  }

  player.addEventListener("timeupdate", function () {
    var t = player.currentTime;
    if (!isNaN(clipEnd) && t >= clipEnd) {
      player.pause();
      clipEnd = NaN; // once: the listener may play on past the clip afterwards
      var status = document.getElementById("copy-status");
      if (status) {
        status.textContent = "End of the clip.";
      }
    }
    highlight(t, false);
  });
  player.addEventListener("seeked", function () {
    highlight(player.currentTime, true);
  });
  player.addEventListener("pause", function () {
    if (transcript && player.currentTime > 0) {
      history.replaceState(null, "", location.pathname + "?t=" + Math.floor(player.currentTime));
    }
  });
  window.addEventListener("hashchange", function () {
    var t = fromHash("t");
    if (!isNaN(t)) {
      seek(t, false);
    }
  });

  // --- clicks on timestamps, chapters and transcript lines seek in place -------------------
  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var link = target.closest("a[data-seek]");
    if (link) {
      var href = link.getAttribute("href") || "";
      var samePage = href.charAt(0) === "?" || href.indexOf(location.pathname + "?") === 0;
      if (samePage) {
        event.preventDefault();
        seek(parseFloat(link.getAttribute("data-seek")), true);
      }
      return;
    }
    var seg = transcript ? target.closest(".seg") : null;
    if (seg && !target.closest("a") && !String(window.getSelection ? window.getSelection() : "")) {
      seek(parseFloat(seg.getAttribute("data-start")), true);
    }
  });
  if (transcript) {
    ["wheel", "touchmove"].forEach(function (name) {
      transcript.addEventListener(name, function () {
        userScrolledAt = Date.now();
      }, { passive: true });
    });
  }

  // --- copy link ---------------------------------------------------------------------------
  var copyButton = document.getElementById("copy-link");
  if (copyButton) {
    copyButton.hidden = false;
    copyButton.addEventListener("click", function () {
      var url = pageUrl(player.currentTime, NaN);
      var field = document.getElementById("moment-link");
      var status = document.getElementById("copy-status");
      if (field) {
        field.value = url;
      }
      updateCitation(player.currentTime);
      function fallback() {
        if (field) {
          field.focus();
          field.select();
        }
        if (status) {
          status.textContent = "Select the link and copy it (Ctrl+C).";
        }
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(function () {
          if (status) {
            status.textContent = "Link to " + clock(player.currentTime) + " copied.";
          }
        }, fallback);
      } else {
        fallback();
      }
    });
  }

  // --- clip tools ---------------------------------------------------------------------------
  [["clip-set-start", "clip-start"], ["clip-set-end", "clip-end"]].forEach(function (pair) {
    var button = document.getElementById(pair[0]);
    var field = document.getElementById(pair[1]);
    if (button && field) {
      button.hidden = false;
      button.addEventListener("click", function () {
        field.value = clock(player.currentTime);
      });
    }
  });

  // --- captions on request ------------------------------------------------------------------
  var captionsButton = document.getElementById("captions-toggle");
  var track = player.textTracks && player.textTracks.length ? player.textTracks[0] : null;
  if (captionsButton && track) {
    captionsButton.hidden = false;
    var line = null;
    if (player.tagName === "AUDIO") {
      line = document.createElement("p");
      line.className = "caption-line";
      line.hidden = true;
      player.parentNode.insertBefore(line, player.nextSibling);
      track.addEventListener("cuechange", function () {
        var cues = track.activeCues;
        var text = [];
        for (var k = 0; cues && k < cues.length; k++) {
          text.push(cues[k].text);
        }
        line.textContent = text.join(" ");
      });
    }
    captionsButton.addEventListener("click", function () {
      var on = captionsButton.getAttribute("aria-pressed") !== "true";
      // An audio element draws nothing, so its cues are shown in the line below instead.
      track.mode = on ? (line ? "hidden" : "showing") : "disabled";
      captionsButton.setAttribute("aria-pressed", on ? "true" : "false");
      captionsButton.textContent = on ? "Hide captions" : "Show captions";
      if (line) {
        line.hidden = !on;
      }
    });
  }

  // --- search inside this transcript ------------------------------------------------------
  var searchForm = document.getElementById("transcript-search");
  var searchInput = document.getElementById("tq");
  var matches = [];
  var matchAt = -1;
  function clearMarks() {
    matches.forEach(function (seg) {
      var text = seg.querySelector(".text");
      text.textContent = text.textContent;
      seg.classList.remove("match");
    });
    matches = [];
    matchAt = -1;
  }
  function markMatches(query) {
    clearMarks();
    var q = query.trim().toLowerCase();
    var status = document.getElementById("tq-status");
    var showNav = false;
    if (q.length >= 2) {
      segs.forEach(function (seg) {
        var textEl = seg.querySelector(".text");
        var text = textEl.textContent;
        var lower = text.toLowerCase();
        var at = lower.indexOf(q);
        if (at < 0) {
          return;
        }
        var fragment = document.createDocumentFragment();
        var from = 0;
        while (at >= 0) {
          fragment.appendChild(document.createTextNode(text.slice(from, at)));
          var mark = document.createElement("mark");
          mark.textContent = text.slice(at, at + q.length);
          fragment.appendChild(mark);
          from = at + q.length;
          at = lower.indexOf(q, from);
        }
        fragment.appendChild(document.createTextNode(text.slice(from)));
        textEl.textContent = "";
        textEl.appendChild(fragment);
        seg.classList.add("match");
        matches.push(seg);
      });
      showNav = matches.length > 0;
      status.textContent = matches.length ? matches.length + " line" + (matches.length === 1 ? "" : "s") + " match" : "No line matches.";
    } else {
      status.textContent = "";
    }
    document.getElementById("tq-prev").hidden = !showNav;
    document.getElementById("tq-next").hidden = !showNav;
  }
  function goToMatch(step) {
    if (!matches.length) {
      return;
    }
    matchAt = (matchAt + step + matches.length) % matches.length;
    var seg = matches[matchAt];
    userScrolledAt = Date.now();
    transcript.scrollTop = Math.max(0, seg.offsetTop - transcript.clientHeight / 3);
    seg.querySelector("a.ts").focus({ preventScroll: true });
    document.getElementById("tq-status").textContent =
      "Match " + (matchAt + 1) + " of " + matches.length + " (" + clock(seg.getAttribute("data-start")) + ")";
  }
  if (searchForm && searchInput && transcript) {
    var searchTimer = null;
    searchInput.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(function () {
        markMatches(searchInput.value);
      }, 150);
    });
    searchForm.addEventListener("submit", function (event) {
      event.preventDefault(); // without JavaScript the form searches this webinar on /search
      window.clearTimeout(searchTimer);
      if (!matches.length) {
        markMatches(searchInput.value);
      }
      goToMatch(1);
    });
    document.getElementById("tq-next").addEventListener("click", function () {
      goToMatch(1);
    });
    document.getElementById("tq-prev").addEventListener("click", function () {
      goToMatch(-1);
    });
  }
})();

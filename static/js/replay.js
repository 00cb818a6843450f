/*
 * The replay page's player, transcript and sharing tools.
 *
 * The page works without this file: the player starts at ?t= (and stops at &end=) through a
 * media fragment in its src, every timestamp is a link to ?t=, the transcript is plain HTML,
 * and its search reloads the page with ?q=, which the server marks. This script adds: #t=
 * (which the server never sees), stopping at the end of a clip, seeking in place when a
 * chapter, a timeline mark or a transcript line is clicked, the highlighted line and playhead
 * that follow playback, a typo-tolerant search inside the transcript (the search index, with
 * a tick on the timeline per match), copy-link, cite and embed code that follow the player
 * (or keep the clip), and captions on request (shown under the player for audio-only
 * recordings, which have no picture to draw them on). It is also loaded by the embeddable
 * player, where most of these are absent.
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
  var playerBox = document.getElementById("player-box");
  var timeline = document.getElementById("timeline");
  var duration = timeline ? parseFloat(timeline.getAttribute("data-duration")) : NaN;
  var bands = timeline ? Array.prototype.slice.call(timeline.querySelectorAll(".tl-chapter")) : [];
  var playhead = document.getElementById("tl-playhead");
  var tickGroup = document.getElementById("tl-hits");
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 900px)") : { matches: false };
  var currentIndex = -1;
  var userScrolledAt = 0;
  var clipEnd = NaN; // where playback stops (once); re-armed by a seek inside the clip
  var clip = null; // {start, end} while the page is a clip: links and the address keep it

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

  function momentQuery(t, end) {
    var query = "?t=" + Math.floor(t);
    if (!isNaN(end)) {
      query += "&end=" + Math.ceil(end);
    }
    return query;
  }

  function pageUrl(t, end) {
    return location.origin + location.pathname + momentQuery(t, end);
  }

  /** The address for the moment t (or the clip while there is one); a search's ?q= stays. */
  function setAddress(t) {
    var query = clip ? momentQuery(clip.start, clip.end) : momentQuery(t, NaN);
    var q = new URLSearchParams(location.search).get("q");
    if (q) {
      query += "&q=" + encodeURIComponent(q).replace(/%20/g, "+");
    }
    history.replaceState(null, "", location.pathname + query);
  }

  function inClip(t) {
    return clip !== null && t >= clip.start - 0.5 && t <= clip.end + 0.5;
  }

  /** The clip is left behind: the share tools follow the player again. */
  function leaveClip() {
    if (!clip) {
      return;
    }
    clip = null;
    clipEnd = NaN;
    var heading = document.querySelector("label[for='cite-text']");
    if (heading) {
      heading.textContent = "Cite this moment";
    }
    var button = document.getElementById("copy-link");
    if (button) {
      button.textContent = "Copy link to the current moment";
    }
  }

  function speakerOf(seg) {
    var turn = seg.closest(".turn");
    var name = turn ? turn.querySelector(".turn-head .speaker") : null;
    return name && !name.classList.contains("unknown") ? name.textContent.trim() : "";
  }

  /** "A", "A and B", "A, B and C" (as server/web/replay.py credits a citation). */
  function credit(names) {
    if (names.length < 2) {
      return names.join("");
    }
    return names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
  }

  function citation(lines, speakers, from, to) {
    var date = article.getAttribute("data-date");
    return "\u201c" + lines.map(function (seg) {
      return seg.querySelector(".text").textContent.trim();
    }).join(" ") + "\u201d " +
      (speakers.length ? credit(speakers) + ", " : "") +
      "in \u201c" + article.getAttribute("data-title") + "\u201d" +
      (date ? ", " + date : "") +
      ", at " + clock(from) + (isNaN(to) ? "" : "\u2013" + clock(to)) + ". Webinar Archive. " +
      pageUrl(from, to);
  }

  /** The embed code of the server, pointed at another moment (its src is the one thing that changes). */
  var embedField = document.getElementById("embed-code");
  var embedTemplate = embedField ? embedField.value : "";
  var embedSrc = (/ src="([^"]*)"/.exec(embedTemplate) || [])[1] || "";
  function updateEmbed(query) {
    if (!embedField || !embedSrc) {
      return;
    }
    var src = embedSrc.split("?")[0] + query.replace(/&/g, "&amp;");
    embedField.value = embedTemplate.split(' src="' + embedSrc + '"').join(' src="' + src + '"');
  }

  /** Link, citation and embed code: the clip while there is one, else the line playing at t. */
  function updateCitation(t) {
    var cite = document.getElementById("cite-text");
    var link = document.getElementById("moment-link");
    if (clip) {
      if (link) {
        link.value = pageUrl(clip.start, clip.end);
      }
      updateEmbed(momentQuery(clip.start, clip.end));
      if (cite && article && clip.fromHash) {
        // The server saw no clip in the address (#t=..&end=..), so it cited one line.
        var lines = segs.filter(function (seg) {
          return parseFloat(seg.getAttribute("data-end")) > clip.start && parseFloat(seg.getAttribute("data-start")) < clip.end;
        });
        var names = [];
        lines.forEach(function (seg) {
          var name = speakerOf(seg);
          if (name && names.indexOf(name) < 0) {
            names.push(name);
          }
        });
        cite.value = citation(lines, names, clip.start, clip.end);
      }
      return;
    }
    if (link) {
      link.value = pageUrl(t, NaN);
    }
    updateEmbed(momentQuery(t, NaN));
    if (!cite || currentIndex < 0 || !article) {
      return;
    }
    var seg = segs[currentIndex];
    var speaker = speakerOf(seg);
    cite.value = citation([seg], speaker ? [speaker] : [], parseFloat(seg.getAttribute("data-start")), NaN);
  }

  /** The playhead and the chapter band it is in. */
  function updateTimeline(t, at) {
    if (playhead && duration > 0) {
      playhead.setAttribute("x", Math.min(100, Math.max(0, (100 * t) / duration)).toFixed(3) + "%");
    }
    bands.forEach(function (band) {
      var on = at >= parseFloat(band.getAttribute("data-start")) && at < parseFloat(band.getAttribute("data-end"));
      band.classList.toggle("current-chapter", on);
    });
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
    updateTimeline(t, at);
  }

  function seek(t, play) {
    if (isNaN(t)) {
      return;
    }
    if (inClip(t)) {
      clipEnd = clip.end; // playing inside the clip stops at its end again
    } else {
      leaveClip();
    }
    player.currentTime = t;
    userScrolledAt = 0;
    aim(t);
    highlight(t, true);
    updateCitation(t);
    setAddress(t);
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
  var clipFromHash = !isNaN(clipEnd);
  if (!clipFromHash) {
    clipEnd = parseFloat(player.getAttribute("data-end"));
  }
  if (!isNaN(clipEnd) && clipEnd > (isNaN(start) ? 0 : start)) {
    clip = { start: isNaN(start) ? 0 : start, end: clipEnd, fromHash: clipFromHash };
  } else {
    clipEnd = NaN;
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
    } else if (clip && isNaN(clipEnd) && !player.paused && t > clip.end + 1) {
      leaveClip(); // played on past the end of the clip: back to following the player
      updateCitation(t);
    }
    highlight(t, false);
  });
  player.addEventListener("seeked", function () {
    if (clip && !inClip(player.currentTime)) {
      leaveClip(); // the player's own controls moved out of the clip
      updateCitation(player.currentTime);
    }
    highlight(player.currentTime, true);
  });
  player.addEventListener("pause", function () {
    if (transcript && player.currentTime > 0) {
      setAddress(player.currentTime); // a clip keeps its address, &end= included
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

  // --- copy link and embed code -----------------------------------------------------------
  function copy(text, field, status, done, what) {
    function fallback() {
      if (field) {
        field.focus();
        field.select();
      }
      if (status) {
        status.textContent = "Select the " + what + " and copy it (Ctrl+C).";
      }
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () {
        if (status) {
          status.textContent = done;
        }
      }, fallback);
    } else {
      fallback();
    }
  }

  var copyButton = document.getElementById("copy-link");
  if (copyButton) {
    copyButton.hidden = false;
    if (clip) {
      copyButton.textContent = "Copy link to the clip";
    }
    copyButton.addEventListener("click", function () {
      var t = player.currentTime;
      updateCitation(t);
      var field = document.getElementById("moment-link");
      var url = clip ? pageUrl(clip.start, clip.end) : pageUrl(t, NaN);
      if (field) {
        field.value = url;
      }
      copyButton.textContent = clip ? "Copy link to the clip" : "Copy link to the current moment";
      var done = clip
        ? "Link to the clip " + clock(clip.start) + "\u2013" + clock(clip.end) + " copied."
        : "Link to " + clock(t) + " copied.";
      copy(url, field, document.getElementById("copy-status"), done, "link");
    });
  }
  var copyEmbed = document.getElementById("copy-embed");
  if (copyEmbed && embedField) {
    copyEmbed.hidden = false;
    copyEmbed.addEventListener("click", function () {
      updateCitation(player.currentTime);
      copy(embedField.value, embedField, document.getElementById("copy-status"), "Embed code copied.", "embed code");
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
          // The cue as text: its markup (a voice tag, character references) read, not shown.
          text.push(cues[k].getCueAsHTML ? cues[k].getCueAsHTML().textContent : cues[k].text);
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
  // The search index answers (typo-tolerant, synonyms: the same search as the search page); a
  // plain substring search of the lines is the fallback when it cannot. Lines that match get
  // the class `hit` and <mark>s, and the timeline a tick at each match. With ?q= the server
  // has marked them already (`find`), and this picks them up.
  var searchForm = document.getElementById("transcript-search");
  var searchInput = document.getElementById("tq");
  var searchStatus = document.getElementById("tq-status");
  var slug = article ? article.getAttribute("data-slug") : "";
  var SVG = "http://www.w3.org/2000/svg";
  var matches = [];
  var matchAt = -1;
  var shownQuery = null; // the query whose matches are marked
  var searchSeq = 0;

  function setNav(show) {
    document.getElementById("tq-prev").hidden = !show;
    document.getElementById("tq-next").hidden = !show;
  }

  function clearMarks() {
    Array.prototype.forEach.call(transcript.querySelectorAll(".seg.hit, .seg.match"), function (seg) {
      var text = seg.querySelector(".text");
      text.textContent = text.textContent;
      seg.classList.remove("match", "hit");
    });
    if (tickGroup) {
      while (tickGroup.firstChild) {
        tickGroup.removeChild(tickGroup.firstChild);
      }
    }
    matches = [];
    matchAt = -1;
    shownQuery = null;
  }

  /** Put <mark> around each occurrence of `terms` that starts a word in `el`'s text. */
  function markTerms(el, terms) {
    var text = el.textContent;
    terms = terms.filter(function (term) {
      return term.trim().length > 0;
    });
    if (!terms.length) {
      return false;
    }
    var escaped = terms.sort(function (a, b) {
      return b.length - a.length;
    }).map(function (term) {
      return term.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    });
    var pattern;
    try {
      pattern = new RegExp("(?<![\\p{L}\\p{N}])(?:" + escaped.join("|") + ")", "giu");
    } catch (e) {
      pattern = new RegExp(escaped.join("|"), "gi"); // no lookbehind: anywhere in a word
    }
    var fragment = document.createDocumentFragment();
    var from = 0;
    var found = false;
    var m;
    while ((m = pattern.exec(text)) !== null) {
      if (!m[0].length) {
        pattern.lastIndex += 1;
        continue;
      }
      found = true;
      fragment.appendChild(document.createTextNode(text.slice(from, m.index)));
      var mark = document.createElement("mark");
      mark.textContent = m[0];
      fragment.appendChild(mark);
      from = m.index + m[0].length;
    }
    if (found) {
      fragment.appendChild(document.createTextNode(text.slice(from)));
      el.textContent = "";
      el.appendChild(fragment);
    }
    return found;
  }

  /**
   * Mark a line from a search hit's highlight (escaped text with <mark>s, from the index). It is
   * parsed into an inert document and only its text and marks are copied: no markup from it
   * reaches the page. A cropped highlight lends its marked words instead.
   */
  function markFromHighlight(seg, highlight) {
    var el = seg.querySelector(".text");
    var parsed = new DOMParser().parseFromString("<body>" + highlight + "</body>", "text/html").body;
    if (parsed.textContent === el.textContent) {
      var fragment = document.createDocumentFragment();
      Array.prototype.forEach.call(parsed.childNodes, function (node) {
        if (node.nodeType === 1 && node.nodeName === "MARK") {
          var mark = document.createElement("mark");
          mark.textContent = node.textContent;
          fragment.appendChild(mark);
        } else {
          fragment.appendChild(document.createTextNode(node.textContent));
        }
      });
      el.textContent = "";
      el.appendChild(fragment);
      return;
    }
    markTerms(el, Array.prototype.map.call(parsed.querySelectorAll("mark"), function (mark) {
      return mark.textContent;
    }));
  }

  function addTick(time, seg, query, url) {
    if (!tickGroup || !(duration > 0)) {
      return;
    }
    var x = Math.min(100, Math.max(0, (100 * time) / duration)).toFixed(3) + "%";
    var link = document.createElementNS(SVG, "a");
    link.setAttribute("class", "tl-hit");
    link.setAttribute("href", url || "?t=" + Math.floor(time) + "&q=" + encodeURIComponent(query));
    link.setAttribute("data-seek", String(time));
    link.setAttribute("data-segment", seg.id.slice(1));
    link.setAttribute("aria-label", "Match at " + clock(time));
    [["tl-hit-area", "0", "16", "28", "translate(-8 0)"], ["tl-hit-mark", "2", "3", "24", "translate(-1.5 0)"]].forEach(function (shape) {
      var rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("class", shape[0]);
      rect.setAttribute("x", x);
      rect.setAttribute("y", shape[1]);
      rect.setAttribute("width", shape[2]);
      rect.setAttribute("height", shape[3]);
      rect.setAttribute("transform", shape[4]);
      link.appendChild(rect);
    });
    tickGroup.appendChild(link);
  }

  function showStatus(query) {
    shownQuery = query;
    setNav(matches.length > 0);
    searchStatus.textContent = matches.length
      ? matches.length + " line" + (matches.length === 1 ? " matches" : "s match")
      : "No line matches.";
  }

  /** The index's hits for this webinar: mark their lines, tick their times. */
  function showHits(hits, query) {
    var seen = {};
    hits.slice().sort(function (a, b) {
      return a.start - b.start;
    }).forEach(function (hit) {
      var seg = document.getElementById("s" + hit.segment_id);
      if (!seg || seen[seg.id] || !transcript.contains(seg)) {
        return;
      }
      seen[seg.id] = true;
      markFromHighlight(seg, hit.highlight || "");
      seg.classList.add("hit");
      matches.push(seg);
      addTick(typeof hit.time === "number" ? hit.time : hit.start, seg, query, hit.url);
    });
    showStatus(query);
  }

  /** Without the index (search down): lines containing the words as typed. */
  function localSearch(query) {
    var needle = query.toLowerCase();
    segs.forEach(function (seg) {
      var el = seg.querySelector(".text");
      if (el.textContent.toLowerCase().indexOf(needle) >= 0 && markTerms(el, [query])) {
        seg.classList.add("hit");
        matches.push(seg);
        addTick(parseFloat(seg.getAttribute("data-start")), seg, query);
      }
    });
    showStatus(query);
  }

  function runSearch(text, then) {
    var query = text.trim();
    var seq = ++searchSeq;
    if (query === shownQuery) {
      if (then) {
        then();
      }
      return;
    }
    clearMarks();
    if (query.length < 2) {
      searchStatus.textContent = "";
      setNav(false);
      return;
    }
    var api = searchForm.getAttribute("data-api");
    var params = new URLSearchParams({ webinar: slug, q: query, limit: "100" });
    fetch(api + "?" + params.toString(), { headers: { accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("search answered " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (seq === searchSeq) {
          showHits(data.hits || [], query);
        }
      }, function () {
        if (seq === searchSeq) {
          localSearch(query);
        }
      })
      .then(function () {
        if (seq === searchSeq && then) {
          then();
        }
      });
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
    if (tickGroup) {
      Array.prototype.forEach.call(tickGroup.querySelectorAll(".tl-hit"), function (tick) {
        tick.classList.toggle("current-hit", tick.getAttribute("data-segment") === seg.id.slice(1));
      });
    }
    searchStatus.textContent =
      "Match " + (matchAt + 1) + " of " + matches.length + " (" + clock(seg.getAttribute("data-start")) + ")";
  }

  /** On a phone, bring the transcript up under the sticky player (arriving from a search hit). */
  function revealTranscript() {
    if (!narrow.matches || !transcript || !playerBox) {
      return;
    }
    var top = transcript.getBoundingClientRect().top + window.pageYOffset - playerBox.offsetHeight - 8;
    window.scrollTo(0, Math.max(0, top));
  }

  if (searchForm && searchInput && searchStatus && transcript) {
    var searchTimer = null;
    searchInput.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(function () {
        runSearch(searchInput.value);
      }, 200);
    });
    searchForm.addEventListener("submit", function (event) {
      event.preventDefault(); // without JavaScript the form reloads this page with ?q=
      window.clearTimeout(searchTimer);
      runSearch(searchInput.value, function () {
        goToMatch(1);
      });
    });
    document.getElementById("tq-next").addEventListener("click", function () {
      goToMatch(1);
    });
    document.getElementById("tq-prev").addEventListener("click", function () {
      goToMatch(-1);
    });

    // Arriving with ?q=: the server marked the hits (pick them up), or this asks the index.
    var urlQuery = (new URLSearchParams(location.search).get("q") || "").trim();
    var marked = Array.prototype.slice.call(transcript.querySelectorAll(".seg.hit"));
    if (marked.length) {
      matches = marked;
      shownQuery = searchInput.value.trim();
      setNav(true);
    }
    if (urlQuery) {
      if (!searchInput.value) {
        searchInput.value = urlQuery;
      }
      var afterHits = function () {
        // The next match is the one at (or after) the moment the page opened at.
        var at = isNaN(start) ? -Infinity : start;
        matchAt = -1;
        for (var k = 0; k < matches.length; k++) {
          if (parseFloat(matches[k].getAttribute("data-end")) > at) {
            matchAt = k - 1;
            break;
          }
        }
        if (isNaN(start) && matches.length) {
          goToMatch(1);
        }
        revealTranscript();
      };
      if (marked.length) {
        afterHits();
      } else {
        runSearch(urlQuery, afterHits);
      }
    }
  }

  // --- on a phone the transcript fills the screen under the sticky player ----------------
  if (playerBox) {
    var measure = function () {
      document.documentElement.style.setProperty("--player-height", playerBox.offsetHeight + "px");
    };
    measure();
    if (window.ResizeObserver) {
      new ResizeObserver(measure).observe(playerBox);
    } else {
      window.addEventListener("resize", measure);
    }
  }
})();

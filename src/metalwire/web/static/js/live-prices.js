// Live prices: the page's prices become the released ones at the release instant, without a
// reload. Elements marked data-live-series="CODE" (a series page's main, a row of the entry page
// or the home board) are subscribed to on the release stream (/api/v1/stream, gated like every
// read: a price the reader's plan may not read is never sent). On a message for one of them the
// page itself is fetched again and the marked elements are swapped for the new ones, so the
// server renders the price exactly as a reload would. Without JavaScript the page is as before.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var EVENTS = "price.released,price.corrected,price.delayed";
  var RETRY_MS = 1000; // shared pages may answer the previous minute for up to 2 s at a release
  var RETRIES = 5;
  var codes = {};
  Array.prototype.forEach.call(document.querySelectorAll("[data-live-series]"), function (el) {
    codes[el.getAttribute("data-live-series")] = true;
  });
  var list = Object.keys(codes).sort();
  if (!list.length) return;

  var source = null;
  var wanted = {}; // code -> fetches that still showed it pending
  var timer = null;
  var busy = false;

  function marked(root, code) {
    var out = [];
    Array.prototype.forEach.call(root.querySelectorAll("[data-live-series]"), function (el) {
      if (el.getAttribute("data-live-series") === code) out.push(el);
    });
    return out;
  }

  function pending(elements) {
    return elements.some(function (el) {
      return el.querySelector("[data-live-banner='pending']") !== null;
    });
  }

  function adopt(el) {
    // Scripts parsed by DOMParser never run: the swapped part's own (the chart's readout) are
    // loaded again so they bind to the new elements.
    var node = document.importNode(el, true);
    Array.prototype.forEach.call(node.querySelectorAll("script[src]"), function (old) {
      var script = document.createElement("script");
      script.src = old.getAttribute("src");
      old.parentNode.replaceChild(script, old);
    });
    return node;
  }

  function swap(code, fresh) {
    var stale = marked(document, code);
    if (stale.length !== fresh.length) return false;
    stale.forEach(function (el, i) {
      el.parentNode.replaceChild(adopt(fresh[i]), el);
    });
    return true;
  }

  function schedule(delay) {
    if (timer === null && !busy) timer = window.setTimeout(refresh, delay);
  }

  function refresh() {
    timer = null;
    var asked = Object.keys(wanted);
    if (!asked.length) return;
    busy = true;
    var again = false;
    fetch(location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" }
    })
      .then(function (answer) {
        if (!answer.ok) throw new Error("page answered " + answer.status);
        return answer.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        asked.forEach(function (code) {
          var fresh = marked(doc, code);
          if (pending(fresh) && wanted[code] < RETRIES) {
            wanted[code] += 1; // the previous minute's page: ask again in a second
            again = true;
            return;
          }
          swap(code, fresh);
          delete wanted[code];
        });
        if (!doc.querySelector(".release-banner")) {
          var banner = document.querySelector(".release-banner");
          if (banner) banner.parentNode.removeChild(banner);
        }
      })
      .catch(function () {
        asked.forEach(function (code) {
          if (code in wanted && (wanted[code] += 1) > RETRIES) delete wanted[code];
        });
        again = true;
      })
      .then(function () {
        busy = false;
        if (Object.keys(wanted).length) schedule(again ? RETRY_MS : 0);
      });
  }

  function heard(event) {
    var code;
    try {
      code = JSON.parse(event.data).data.series;
    } catch (e) {
      return;
    }
    if (!codes[code]) return;
    wanted[code] = 0;
    schedule(0);
  }

  function open() {
    var query = "series=" + encodeURIComponent(list.join(",")) + "&events=" + EVENTS;
    source = new EventSource("/api/v1/stream?" + query);
    EVENTS.split(",").forEach(function (kind) {
      source.addEventListener(kind, heard);
    });
    source.addEventListener("open", function () {
      document.documentElement.setAttribute("data-live-stream", "open");
    });
  }

  function close() {
    if (source) source.close();
    source = null;
    document.documentElement.removeAttribute("data-live-stream");
  }

  window.addEventListener("pagehide", close);
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted || source) return;
    // Back from the back-forward cache: what was released meanwhile is fetched once.
    open();
    list.forEach(function (code) {
      wanted[code] = RETRIES;
    });
    schedule(0);
  });
  open();
})();

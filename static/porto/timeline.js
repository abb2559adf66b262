// Auto-refresh hook: an element with data-refresh-url gets its inner HTML from that URL
// every data-refresh-seconds (default 10) while the page is visible.
(function () {
  "use strict";
  document.querySelectorAll("[data-refresh-url]").forEach(function (element) {
    var seconds = +(element.dataset.refreshSeconds || 10);
    setInterval(function () {
      if (document.hidden) return;
      fetch(element.dataset.refreshUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) element.innerHTML = html; });
    }, seconds * 1000);
  });
})();

// Keeps the document timeline fresh while the page is open, and sends Update status with
// fetch() so the page does not reload. Without JavaScript the forms post and redirect.
(function () {
  "use strict";

  function section() { return document.getElementById("mail-timeline"); }

  function replace(html) {
    var current = section();
    if (!current) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#mail-timeline");
    if (fresh) { current.replaceWith(fresh); }
  }

  function busy() {
    // Never pull the content from under a keyboard user or an open details panel.
    var current = section();
    return !current || current.contains(document.activeElement) ||
      current.querySelector("details[open]") !== null;
  }

  function poll() {
    var current = section();
    if (!current || document.hidden || busy()) { return; }
    fetch(current.dataset.refreshUrl, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html && !busy()) { replace(html); } })
      .catch(function () {});
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("mail-timeline__refresh")) { return; }
    event.preventDefault();
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.text(); }).then(replace).catch(function () { form.submit(); });
  });

  if (!window.portoTimelinePolling && section()) {
    var seconds = +(section().dataset.refreshSeconds || 30);
    window.portoTimelinePolling = setInterval(poll, seconds * 1000);
  }
}());

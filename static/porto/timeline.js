// Keeps the document timeline fresh while the page is open, and sends Update status with
// fetch() so the page does not reload. Without JavaScript the forms post and redirect.
// Loaded once, by the document page: the fragment it redraws carries no script.
(function () {
  "use strict";

  function section() { return document.getElementById("mail-timeline"); }

  function live() { return document.getElementById("mail-timeline-live"); }

  function statuses(root) {
    var found = {};
    root.querySelectorAll(".mail-timeline__email").forEach(function (li) {
      var badge = li.querySelector(".mail-timeline__head .status-badge");
      var subject = li.querySelector(".mail-timeline__subject");
      found[li.id] = { label: badge ? badge.firstChild.textContent.trim() : "",
                       subject: subject ? subject.textContent.trim() : "" };
    });
    return found;
  }

  // Where focus was inside the timeline, as something that survives a redraw.
  function focusSpot(current) {
    var active = document.activeElement;
    if (!active || !current.contains(active)) { return null; }
    var li = active.closest(".mail-timeline__email");
    if (!li) { return { id: null }; }
    var control = active.closest(".mail-timeline__refresh") ? "refresh" :
      active.classList.contains("status-badge") ? "badge" :
      active.closest(".mail-timeline__actions") ? "proof" : "row";
    return { id: li.id, control: control };
  }

  var CONTROLS = {
    refresh: ".mail-timeline__refresh button",
    badge: ".mail-timeline__head .status-badge",
    proof: ".mail-timeline__actions a"
  };

  function restoreFocus(fresh, spot) {
    if (!spot) { return; }
    var li = spot.id ? document.getElementById(spot.id) : null;
    if (!li) { fresh.querySelector("h2").setAttribute("tabindex", "-1"); fresh.querySelector("h2").focus(); return; }
    var control = CONTROLS[spot.control] ? li.querySelector(CONTROLS[spot.control]) : null;
    (control && !control.disabled ? control : li).focus();
  }

  function changes(before, after) {
    return Object.keys(after).filter(function (id) {
      return before[id] && before[id].label !== after[id].label;
    }).map(function (id) { return after[id].subject + ": " + after[id].label; });
  }

  function announce(parts) {
    var region = live();
    if (region && parts.length) { region.textContent = parts.join(" "); }
  }

  function replace(html, remembered) {
    var current = section();
    if (!current) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#mail-timeline");
    if (!fresh) { return; }
    var spot = remembered || focusSpot(current);
    var before = statuses(current);
    current.replaceWith(fresh);
    restoreFocus(fresh, spot);
    var notice = fresh.querySelector(".mail-timeline__notice");
    announce((notice ? [notice.textContent.trim()] : []).concat(changes(before, statuses(fresh))));
  }

  function busy() {
    // Never pull an open details panel from under the reader; focus survives a redraw.
    var current = section();
    return !current || current.querySelector("details[open]") !== null;
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
    var button = form.querySelector("button");
    if (button.disabled) { return; }
    var spot = focusSpot(section());  // before disabling the button takes the focus away
    button.disabled = true;  // a second click while the first is on its way asks nothing
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.text(); })
      .then(function (html) { replace(html, spot); })
      .catch(function () { form.submit(); });
  });

  // Escape hides the details of the badge under the pointer or the focus; leaving shows
  // them again next time.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll(".mail-tip").forEach(function (tip) {
      if (tip.matches(":hover") || tip.contains(document.activeElement)) {
        tip.classList.add("mail-tip--dismissed");
      }
    });
  });
  function undismiss(event) {
    var tip = event.target.closest && event.target.closest(".mail-tip");
    if (tip && !tip.contains(event.relatedTarget)) { tip.classList.remove("mail-tip--dismissed"); }
  }
  document.addEventListener("focusout", undismiss);
  document.addEventListener("mouseout", undismiss);

  if (section()) {
    var seconds = +(section().dataset.refreshSeconds || 30);
    setInterval(poll, seconds * 1000);
  }
}());

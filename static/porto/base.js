// Behaviour every page shares, without inline handlers (the Content-Security-Policy allows
// no inline script, docs/security.md):
// - data-autosubmit on a <select>: choosing submits its form (company and language switch);
// - data-confirm="question" on a submit button: asks first, and submits only on OK;
// - data-submit-once on a submit button: disabled as soon as its form is sent (no double send).
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });

  document.querySelectorAll("[data-submit-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      // After this event the browser has taken the form's data: disabling cannot cancel it.
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();

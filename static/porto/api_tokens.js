// Settings > API tokens: a Copy button for the token shown once. Without JavaScript the
// token stays selectable in its read-only field.
(function () {
  "use strict";
  var button = document.getElementById("api-token-copy");
  var field = document.getElementById("api-token-secret");
  if (!button || !field) return;
  button.hidden = false;
  var label = button.textContent;
  button.addEventListener("click", function () {
    field.select();
    var done = function () {
      button.textContent = button.dataset.copied;
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (document.execCommand("copy")) done();
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  });
  field.addEventListener("focus", function () { field.select(); });
})();

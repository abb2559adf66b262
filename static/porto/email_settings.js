// Settings > Email settings: the SMTP fields show only for "Own mailbox (SMTP)", and the
// warning only when the connection is not encrypted.
(function () {
  "use strict";
  var radios = document.querySelectorAll('input[name="method"]');
  var smtp = document.getElementById("smtp-fields");
  var security = document.getElementById("id_smtp_security");
  var warning = document.getElementById("no-tls-warning");
  function update() {
    var chosen = document.querySelector('input[name="method"]:checked');
    if (smtp && chosen) smtp.hidden = chosen.value !== "smtp";
    if (warning && security) warning.hidden = security.value !== "none";
  }
  radios.forEach(function (r) { r.addEventListener("change", update); });
  if (security) security.addEventListener("change", update);
  update();
})();

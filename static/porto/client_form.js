// The client form's email addresses: an "Add address" button instead of the empty rows the
// page offers without JavaScript, and one default at a time.
(function () {
  var fieldset = document.getElementById("email-rows");
  if (!fieldset) return;
  var prefix = fieldset.dataset.prefix;
  var body = document.getElementById("email-rows-body");
  var template = document.getElementById("email-row-template");
  var addButton = document.getElementById("add-email-row");
  var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  var initial = parseInt(document.getElementById("id_" + prefix + "-INITIAL_FORMS").value, 10);

  function isBlank(row) {
    var inputs = row.querySelectorAll("input[type=email], input[type=text]");
    for (var i = 0; i < inputs.length; i++) if (inputs[i].value.trim()) return false;
    return !row.classList.contains("has-error") && !row.querySelector("input[type=checkbox]:checked");
  }

  // Drop the trailing empty rows (the formset counts only up to TOTAL_FORMS); keep one row
  // for a client without any address yet.
  var rows = body.querySelectorAll("tr.email-row");
  var keep = Math.max(initial, 1);
  for (var i = rows.length - 1; i >= keep && isBlank(rows[i]); i--) {
    rows[i].remove();
    total.value = i;
  }

  addButton.hidden = false;
  addButton.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    var added = body.lastElementChild.querySelector("input[name$='-address']");
    if (added) added.focus();
  });

  body.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox][name$='-is_default']") || !box.checked) return;
    body.querySelectorAll("input[type=checkbox][name$='-is_default']").forEach(function (other) {
      if (other !== box) other.checked = false;
    });
  });
})();

// Number series: the example beside each kind follows the prefix and next number as they
// are typed. The page works without it; the server shows the stored numbers.
(function () {
  "use strict";
  var table = document.querySelector("table.series[data-year]");
  if (!table) return;
  var year = table.dataset.year;
  var digits = parseInt(table.dataset.digits, 10);

  function pad(text) {
    while (text.length < digits) text = "0" + text;
    return text;
  }

  function update(row) {
    var kind = row.dataset.kind;
    var prefix = row.querySelector('[data-prefix="' + kind + '"]');
    var next = row.querySelector('[data-next="' + kind + '"]');
    var output = row.querySelector('[data-example-for="' + kind + '"]');
    if (!prefix || !next || !output) return;
    var sequence = next.value.trim();
    output.textContent = /^[0-9]+$/.test(sequence)
      ? prefix.value.trim() + year + "-" + pad(String(parseInt(sequence, 10)))
      : "";
  }

  table.querySelectorAll("tr[data-kind]").forEach(function (row) {
    row.addEventListener("input", function () { update(row); });
    update(row);
  });
})();

// The overview: "select all on this page", the count of selected documents and, once the
// whole page is selected, "select all N documents that match this filter" (the bulk form then
// sends the filter, not the ids, and the server finds the documents again). Without script the
// "select all that match" button sends the filter straight to the bulk summary.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) return;
  var boxes = document.querySelectorAll(".row-check");
  var count = document.getElementById("selected-count");
  var matching = document.getElementById("select-matching");
  function part(selector) { return matching && matching.querySelector(selector); }
  var scope = part("#select-matching-scope");
  var selectMatching = part("#select-matching-all");
  var clear = part("#select-matching-clear");
  var pageText = part(".select-matching__page");
  var allText = part(".select-matching__all");

  function byFilter() { return Boolean(scope && !scope.disabled); }
  function showMatching(pageSelected) {
    if (!matching) return;
    matching.hidden = !pageSelected && !byFilter();
    pageText.hidden = byFilter();
    selectMatching.hidden = byFilter();
    allText.hidden = !byFilter();
    clear.hidden = !byFilter();
  }
  function update() {
    var n = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
    var pageSelected = n > 0 && n === boxes.length;
    if (!pageSelected && scope) scope.disabled = true;  // a row unticked: back to the ticks
    count.textContent = byFilter() ? matching.dataset.total + " ✓" : (n ? n + " ✓" : "");
    all.checked = pageSelected;
    all.indeterminate = n > 0 && n < boxes.length;
    showMatching(pageSelected);
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    update();
  });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  if (matching) {
    selectMatching.addEventListener("click", function (event) {
      event.preventDefault();
      scope.disabled = false;
      update();
      clear.focus();
    });
    clear.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = false; });
      scope.disabled = true;
      update();
      all.focus();
    });
  }
  update();
})();

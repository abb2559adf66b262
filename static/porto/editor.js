// The document editor: add, remove and reorder rows, show the VAT exemption reasons the rows
// need, and ask the server for the totals as the person types. Without this script the form
// still saves: rows carry a position box and a Remove box instead.
(function () {
  "use strict";
  const form = document.getElementById("document-editor");
  if (!form) return;
  form.classList.add("js");
  form.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });

  const containers = {
    lines: form.querySelector('[data-rows="lines"]'),
    allowances: form.querySelector('[data-rows="allowances"]'),
  };
  const templates = {
    lines: document.getElementById("line-template"),
    allowances: document.getElementById("allowance-template"),
  };
  const totalInput = (prefix) => form.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);

  function visibleRows(prefix) {
    return Array.from(containers[prefix].children).filter((row) => !row.hidden);
  }

  // Positions and numbers follow the order on screen.
  function renumber() {
    visibleRows("lines").forEach((row, index) => {
      const order = row.querySelector('input[name$="-ORDER"]');
      if (order) order.value = index + 1;
      const number = row.querySelector("[data-number]");
      if (number) number.textContent = index + 1;
      row.id = `line-${index + 1}`;
    });
  }

  function addRow(prefix) {
    const total = totalInput(prefix);
    const index = Number(total.value);
    const html = templates[prefix].innerHTML.replace(/__prefix__/g, String(index));
    containers[prefix].insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    const row = containers[prefix].lastElementChild;
    row.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });
    renumber();
    const first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
    changed();
  }

  function removeRow(row) {
    const box = row.querySelector('input[name$="-DELETE"]');
    if (box) box.checked = true;
    const next = row.nextElementSibling;
    row.hidden = true;
    renumber();
    const focusTarget = (next && !next.hidden && next.querySelector("input, select")) ||
      form.querySelector(`[data-add="${row.dataset.row === "line" ? "lines" : "allowances"}"]`);
    if (focusTarget) focusTarget.focus();
    changed();
  }

  function sibling(row, direction) {
    let other = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    while (other && other.hidden) {
      other = direction === "up" ? other.previousElementSibling : other.nextElementSibling;
    }
    return other;
  }

  function moveRow(row, direction, button) {
    const other = sibling(row, direction);
    if (!other) return;
    if (direction === "up") other.before(row); else other.after(row);
    renumber();
    button.focus();
    const live = document.getElementById("line-moved");
    const position = visibleRows("lines").indexOf(row) + 1;
    if (live) live.textContent = live.dataset.announceMoved.replace("%(n)s", String(position));
    changed();
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.add) {
      addRow(button.dataset.add);
    } else if (button.hasAttribute("data-remove")) {
      removeRow(button.closest("[data-row]:not([data-row=line-adjustment])"));
    } else if (button.dataset.move) {
      moveRow(button.closest('[data-row="line"]'), button.dataset.move, button);
    }
  });

  // A category without VAT has rate 0; the standard category starts at 21 %.
  function fitRate(select) {
    const rate = form.querySelector(`[name="${select.name.replace(/vat_category$/, "vat_rate")}"]`);
    if (!rate) return;
    if (select.value !== "S") rate.value = "0";
    else if (rate.value === "0") rate.value = "21";
  }

  function showExemptions() {
    const used = new Set();
    for (const prefix of ["lines", "allowances"]) {
      visibleRows(prefix).forEach((row) => {
        const select = row.querySelector('select[name$="-vat_category"]');
        if (select) used.add(select.value);
      });
    }
    form.querySelectorAll(".exemption[data-category]").forEach((box) => {
      box.hidden = !used.has(box.dataset.category);
    });
    const delivery = document.getElementById("delivery");
    if (used.has("K") && delivery) delivery.open = true;
  }

  let timer = null;
  let asked = 0;
  async function refreshTotals() {
    const question = ++asked;
    const response = await fetch(form.dataset.totalsUrl, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    if (!response.ok || question !== asked) return;
    document.getElementById("editor-totals").innerHTML = await response.text();
  }

  function changed() {
    showExemptions();
    clearTimeout(timer);
    timer = setTimeout(() => { refreshTotals().catch(() => {}); }, 350);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", (event) => {
    if (event.target.matches('select[name$="-vat_category"]')) fitRate(event.target);
    changed();
  });
  renumber();
  showExemptions();
})();

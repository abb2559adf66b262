// The send pop-up: chips, Cc/Bcc toggle, email text switch, format check, attachments, submit
// once, focus kept inside the dialog and given back to the Send button. Enter in a one-line
// field never sends (only the Send button or Ctrl/Cmd+Enter does), and an expired session keeps
// the draft: the pop-up stays open, offers to log in again in a new tab, and Send resends it. The limits and their
// messages come from the server (porto.mail.send.limits, rendered as #send-limits), so the
// browser refuses the same input with the same words as the server.
(function () {
  "use strict";
  var dialog = document.getElementById("send-dialog");
  var opener = document.getElementById("send-open");
  if (!dialog || !opener) return;
  var form = document.getElementById("send-form");
  var submit = document.getElementById("send-submit");
  var chips = document.getElementById("to-chips");
  var fileInput = document.getElementById("id_attachments");
  var subject = document.getElementById("id_subject");
  var body = document.getElementById("id_body");
  var textSelect = document.getElementById("id_email_text");
  var files = new DataTransfer();
  var filled = { subject: subject.value, body: body.value };
  var currentText = textSelect.value;
  var limits = JSON.parse(document.getElementById("send-limits").textContent);

  // The server's messages use Python's %(name)s / %(name)d placeholders.
  function message(key, values) {
    return limits.messages[key].replace(/%\((\w+)\)[sd]/g, function (_m, name) { return String(values[name]); });
  }
  function chars(text) { return Array.from(text).length; }  // code points, as Python counts
  function size(bytes) {  // as porto.mail.send.limits.human_size
    if (bytes >= 1048576) return limits.units.MB.replace("%(size)s", (bytes / 1048576).toFixed(2));
    return limits.units.KB.replace("%(size)s", String(Math.round(bytes / 1024)));
  }
  function errorsFor(name) { return form.querySelector('[data-errors-for="' + name + '"]'); }
  function clearErrors() {
    form.querySelectorAll("[data-errors-for]").forEach(function (p) { p.textContent = ""; });
  }
  function showErrors(errors) {
    Object.keys(errors).forEach(function (name) {
      var target = errorsFor(name) || errorsFor("__all__");
      target.textContent = (target.textContent + " " + errors[name].join(" ")).trim();
    });
    var first = form.querySelector("[data-errors-for]:not(:empty)");
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  // Opening and closing; focus trap; Escape closes (native), focus returns to the opener.
  function open() { dialog.showModal(); var f = dialog.querySelector("input:not([type=hidden]), select, textarea, button"); if (f) f.focus(); }
  opener.addEventListener("click", open);
  dialog.querySelectorAll("[data-close]").forEach(function (b) { b.addEventListener("click", function () { dialog.close(); }); });
  dialog.addEventListener("close", function () { opener.focus(); });
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") return;
    var focusable = Array.prototype.filter.call(
      dialog.querySelectorAll("button, input:not([type=hidden]), select, textarea, a[href]"),
      function (el) { return !el.disabled && el.offsetParent !== null; });
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
    else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
  });
  if (opener.hasAttribute("data-open-now")) open();

  // Recipient chips.
  function addChip(address) {
    address = address.trim();
    if (!address) return;
    var exists = Array.prototype.some.call(chips.querySelectorAll("input"), function (i) { return i.value.toLowerCase() === address.toLowerCase(); });
    if (exists) return;
    var li = document.createElement("li");
    li.className = "chip";
    var label = document.createElement("span"); label.textContent = address;
    var hidden = document.createElement("input"); hidden.type = "hidden"; hidden.name = "to"; hidden.value = address;
    var remove = document.createElement("button"); remove.type = "button"; remove.className = "chip-remove";
    remove.setAttribute("aria-label", opener.dataset.removeLabel + " " + address);
    remove.textContent = "×";
    li.append(label, hidden, remove);
    chips.appendChild(li);
  }
  chips.addEventListener("click", function (event) {
    if (event.target.classList.contains("chip-remove")) event.target.closest("li").remove();
  });
  var pick = document.getElementById("address-pick");
  if (pick) pick.addEventListener("click", function () { var s = document.getElementById("address-picker"); addChip(s.value); s.value = ""; });
  var newAddress = document.getElementById("new-address");
  function addNew() { addChip(newAddress.value); newAddress.value = ""; }
  document.getElementById("new-address-add").addEventListener("click", addNew);
  newAddress.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); addNew(); } });

  // Cc / Bcc.
  var ccToggle = document.getElementById("cc-toggle");
  ccToggle.addEventListener("click", function () {
    var fields = document.getElementById("cc-fields");
    fields.hidden = !fields.hidden;
    ccToggle.setAttribute("aria-expanded", String(!fields.hidden));
  });

  // Email text: refill subject and body, after asking if the user changed them.
  textSelect.addEventListener("change", function () {
    var typed = subject.value !== filled.subject || body.value !== filled.body;
    if (typed && !window.confirm(form.dataset.msgOverwrite)) { textSelect.value = currentText; return; }
    var url = form.dataset.textUrl.replace(/0\/$/, textSelect.value + "/");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        errorsFor("email_text").textContent = (data.errors || []).join(" ");
        if (data.errors) return;
        subject.value = data.subject; body.value = data.body;
        filled = { subject: data.subject, body: data.body };
        renderPreview();
        currentText = textSelect.value;
      });
  });

  // Format: a UBL problem shows before sending.
  form.querySelectorAll('input[name="file_format"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      var target = errorsFor("file_format");
      var notes = form.querySelector('[data-notes-for="file_format"]');
      target.textContent = ""; notes.textContent = "";
      fetch(form.dataset.checkUrl + "?format=" + encodeURIComponent(radio.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { target.textContent = data.problems.join(" "); notes.textContent = (data.notes || []).join(" "); });
    });
  });

  // Attachments: picker and drag-and-drop, limits checked here and again on the server.
  // The size of the email as it travels, as porto.mail.send.limits.message_size counts it:
  // base64 makes 4 characters of 3 bytes, in lines of 76 plus CRLF. The server also counts
  // the document's own files, so it may still find the email too large.
  function encodedSize(bytes) {
    var chars = 4 * Math.ceil(bytes / 3);
    return chars + 2 * Math.ceil(chars / limits.base64_line_chars);
  }
  function messageSize(fileSizes, bodyBytes) {
    var total = limits.message_overhead_bytes + 4 * bodyBytes + encodedSize(bodyBytes);
    fileSizes.forEach(function (bytes) { total += encodedSize(bytes) + limits.part_overhead_bytes; });
    return total;
  }
  function extensionOf(name) { var dot = name.lastIndexOf("."); return dot < 0 ? "" : name.slice(dot).toLowerCase(); }
  function fileProblems() {
    var problems = [], total = 0, list = Array.prototype.slice.call(files.files);
    if (list.length > limits.max_attachments) problems.push(message("too_many_attachments", { count: list.length, max: limits.max_attachments }));
    if (list.length) {
      total = messageSize(list.map(function (f) { return f.size; }), new TextEncoder().encode(body.value).length);
      if (total > limits.max_total_bytes) problems.push(message("attachments_too_big", { size: size(total), max: limits.max_total_size }));
    }
    list.forEach(function (f) {
      var ext = extensionOf(f.name);
      if (limits.blocked_extensions.indexOf(ext) >= 0) problems.push(message("blocked_extension", { name: f.name, ext: ext }));
      else if (f.size > limits.max_attachment_bytes) problems.push(message("attachment_too_big", { name: f.name, size: size(f.size), max: limits.max_attachment_size }));
    });
    return problems;
  }
  // Entries typed in one box, split at commas and semicolons outside quotes and angle
  // brackets, as porto.lib.headers.split_entries does: "Doe, John" <john@example.com> is one.
  function splitEntries(text) {
    var entries = [], current = "", quoted = false, bracketed = 0, escaped = false;
    Array.from(text).forEach(function (ch) {
      if (escaped) escaped = false;
      else if (ch === "\\" && quoted) escaped = true;
      else if (ch === '"') quoted = !quoted;
      else if ((ch === "<" || ch === ">") && !quoted) bracketed = Math.max(0, bracketed + (ch === "<" ? 1 : -1));
      else if ((ch === "," || ch === ";") && !quoted && !bracketed) { entries.push(current); current = ""; return; }
      current += ch;
    });
    entries.push(current);
    return entries.map(function (e) { return e.trim(); }).filter(Boolean);
  }
  function recipientProblems() {
    var to = Array.prototype.map.call(chips.querySelectorAll("input"), function (i) { return i.value.trim(); });
    var copies = splitEntries(document.getElementById("id_cc").value).concat(splitEntries(document.getElementById("id_bcc").value));
    var all = {};
    to.concat(copies).forEach(function (a) { a = a.trim().toLowerCase(); if (a) all[a] = true; });
    var count = Object.keys(all).length, problems = [];
    if (!to.filter(Boolean).length) problems.push(message("no_recipient", {}));
    if (count > limits.max_recipients) problems.push(message("too_many_recipients", { max: limits.max_recipients, count: count }));
    return problems;
  }
  function textProblems(text, emptyKey, longKey, max) {
    text = text.trim();
    if (!text) return [message(emptyKey, {})];
    if (chars(text) > max) return [message(longKey, { count: chars(text), max: max })];
    return [];
  }
  function problems() {
    var found = {
      to: recipientProblems(),
      subject: textProblems(subject.value, "no_subject", "subject_too_long", limits.max_subject_chars),
      body: textProblems(body.value.replace(/\r\n/g, "\n"), "no_body", "body_too_long", limits.max_body_chars),
      attachments: fileProblems()
    };
    Object.keys(found).forEach(function (name) { if (!found[name].length) delete found[name]; });
    return found;
  }
  function renderFiles() {
    fileInput.files = files.files;
    var list = document.getElementById("file-list");
    list.textContent = "";
    Array.prototype.forEach.call(files.files, function (f, index) {
      var li = document.createElement("li");
      li.textContent = f.name + " (" + size(f.size) + ") ";
      var remove = document.createElement("button");
      remove.type = "button"; remove.textContent = "×"; remove.setAttribute("aria-label", opener.dataset.removeLabel + " " + f.name);
      remove.addEventListener("click", function () {
        var next = new DataTransfer();
        Array.prototype.forEach.call(files.files, function (g, i) { if (i !== index) next.items.add(g); });
        files = next; renderFiles();
      });
      li.appendChild(remove); list.appendChild(li);
    });
    errorsFor("attachments").textContent = fileProblems().join(" ");
    renderPreview();
  }
  function addFiles(list) { Array.prototype.forEach.call(list, function (f) { files.items.add(f); }); renderFiles(); }
  fileInput.addEventListener("change", function () {
    var chosen = Array.prototype.slice.call(fileInput.files);
    addFiles(chosen);
  });
  var dropzone = document.getElementById("dropzone");
  dropzone.addEventListener("dragover", function (e) { e.preventDefault(); dropzone.classList.add("over"); });
  dropzone.addEventListener("dragleave", function () { dropzone.classList.remove("over"); });
  dropzone.addEventListener("drop", function (e) { e.preventDefault(); dropzone.classList.remove("over"); addFiles(e.dataTransfer.files); });

  // Preview: what the recipient will read (text only; the HTML part is made from it).
  var preview = document.getElementById("send-preview");
  // Kept up to date while closed too, so opening it shows the current state at once.
  function renderPreview() {
    var to = Array.prototype.map.call(chips.querySelectorAll("input"), function (i) { return i.value; });
    var format = form.querySelector('input[name="file_format"]:checked');
    var names = [format ? format.parentElement.textContent.trim() : ""];
    Array.prototype.forEach.call(files.files, function (f) { names.push(f.name); });
    preview.querySelector('[data-preview="to"]').textContent = to.join(", ");
    preview.querySelector('[data-preview="subject"]').textContent = subject.value;
    preview.querySelector('[data-preview="files"]').textContent = names.join(", ");
    preview.querySelector('[data-preview="body"]').textContent = body.value;
  }
  preview.addEventListener("toggle", renderPreview);
  form.addEventListener("input", renderPreview);
  form.addEventListener("change", renderPreview);
  form.addEventListener("click", function () { window.setTimeout(renderPreview); });
  renderPreview();

  // Keyboard: Enter in a one-line field would submit the form (implicit submission); it never
  // sends here. Ctrl+Enter or Cmd+Enter anywhere in the pop-up sends, as the Send button does.
  var NOT_ONE_LINE = ["button", "submit", "reset", "file"];
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    if (event.ctrlKey || event.metaKey) { event.preventDefault(); form.requestSubmit(submit); return; }
    var target = event.target;
    if (target.tagName === "INPUT" && NOT_ONE_LINE.indexOf(target.type) < 0) event.preventDefault();
  });

  // Session: a login elsewhere (or a new one after expiry) rotates the CSRF token; the cookie
  // always holds the current one, so it is copied into the form right before each send.
  var CSRF_COOKIE = "csrftoken";  // Django's default name; porto/settings.py keeps it
  var csrfInput = form.querySelector('input[name="csrfmiddlewaretoken"]');
  var sessionNotice = document.getElementById("send-session");
  var loginLink = document.getElementById("send-login");
  function refreshCsrfToken() {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(CSRF_COOKIE + "=") === 0; })[0];
    if (found) csrfInput.value = decodeURIComponent(found.slice(CSRF_COOKIE.length + 1));
  }
  function sessionExpired(response) {
    if (response.status === 403) return true;  // the CSRF check refused: the token is stale
    return response.redirected && new URL(response.url).pathname === new URL(loginLink.href).pathname;
  }

  // Submit once: disabled while sending; the idempotency key makes a second POST harmless.
  // Nothing typed or attached is cleared when the send fails: the same form is sent again.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (submit.disabled) return;
    clearErrors();
    sessionNotice.hidden = true;
    var found = problems();
    if (Object.keys(found).length) { showErrors(found); return; }
    submit.disabled = true;
    refreshCsrfToken();
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (sessionExpired(response)) throw new Error("login");
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (result.ok && result.data.ok) { dialog.close(); window.location.assign(result.data.redirect); return; }
        showErrors(result.data.errors || {});
        submit.disabled = false;
      })
      .catch(function (error) {
        var expired = error.message === "login";
        showErrors({ __all__: [expired ? form.dataset.msgLogin : form.dataset.msgFailed] });
        sessionNotice.hidden = !expired;
        submit.disabled = false;
      });
  });
})();

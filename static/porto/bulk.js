// Bulk send progress: polls the job's counts until nothing is left in the outbox, then lists
// every document's result. While emails wait, it shows what each group waits for (the
// server's sentences, in the reader's language) and offers Retry now when some wait for a
// retry. A screen reader hears the start and the end once each, not the counts every second.
(function () {
  "use strict";
  var root = document.getElementById("bulk-job");
  if (!root) return;
  var bar = document.getElementById("bulk-progress");
  var announced = root.querySelector("#bulk-announce");
  function announce(text) {
    var line = document.createElement("p");
    line.textContent = text;
    announced.appendChild(line);
  }
  function doneText(c) {
    return root.dataset.announceDone.replace("%(sent)s", c.sent)
      .replace("%(failed)s", c.failed).replace("%(skipped)s", c.skipped);
  }
  var labels = { sent: root.dataset.labelSent, failed: root.dataset.labelFailed, skipped: root.dataset.labelSkipped };
  function showOutbox(outbox) {
    var section = document.getElementById("bulk-outbox");
    var list = document.getElementById("bulk-waiting");
    if (!section || !outbox) return;
    list.textContent = "";
    outbox.lines.forEach(function (line) {
      var li = document.createElement("li");
      li.dataset.waiting = line.key;
      var label = document.createElement("strong");
      label.textContent = line.label;
      li.appendChild(label);
      li.appendChild(document.createTextNode(": " + line.count + (line.detail ? " — " + line.detail : "")));
      list.appendChild(li);
    });
    section.hidden = outbox.total === 0;
    document.getElementById("bulk-retry-now").hidden = outbox.retry_now === 0;
  }
  function show(data) {
    var c = data.counts;
    showOutbox(data.outbox);
    Object.keys(c).forEach(function (key) {
      var span = root.querySelector('[data-count="' + key + '"]');
      if (span) span.textContent = c[key];
    });
    bar.max = c.requested; bar.value = c.sent + c.failed + c.skipped;
    if (!data.done) return false;
    document.getElementById("bulk-done").hidden = false;
    announce(doneText(c));
    var body = document.getElementById("bulk-results");
    body.textContent = "";
    data.results.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.className = r.state;
      [r.number, labels[r.state] || r.state, r.to, r.reason].forEach(function (text) {
        var td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    return true;
  }
  function poll() {
    fetch(root.dataset.progressUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (!show(data)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  announce(root.dataset.announceStart);
  poll();
})();

// The watchlist editor: add / edit / remove entries and push to terminals, as JSON posted with fetch().
(function () {
  var t = JSON.parse(document.getElementById("i18n").textContent);
  var form = document.getElementById("entry-form");
  var message = document.getElementById("form-message");
  var title = document.getElementById("form-title");
  var field = function (id) { return document.getElementById(id); };

  function say(node, text, kind) { node.textContent = text; node.className = kind || ""; }

  function detail(body, status) {
    if (body && typeof body.detail === "string") return body.detail;
    // A failed validation: each issue's words already name the field, in Chinese then English.
    if (body && Array.isArray(body.detail)) return body.detail.map(function (d) { return d.msg; }).join("；");
    return t.failed + " (" + status + ")";
  }

  // The session's CSRF token (base.html's meta tag), required on every write made with the cookie.
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function send(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": csrf ? csrf.content : "" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) throw new Error(detail(data, response.status));
        return data;
      });
    });
  }

  // Photos go as base64 in the JSON body: the data URL without its "data:image/...;base64," head.
  function readPhotos(files) {
    return Promise.all(Array.prototype.map.call(files, function (file) {
      return new Promise(function (resolve, reject) {
        var reader = new FileReader();
        reader.onload = function () { resolve(String(reader.result).split(",")[1] || ""); };
        reader.onerror = function () { reject(reader.error); };
        reader.readAsDataURL(file);
      });
    }));
  }

  function resetForm() {
    form.reset();
    field("f-entry-id").value = "";
    title.textContent = title.dataset.add;
    field("entry-cancel").hidden = true;
    field("photos-keep").hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var entryId = field("f-entry-id").value;
    var files = field("f-photos").files;
    if (!entryId && files.length === 0) { say(message, t.photos, "error"); return; }
    var body = { name_zh: field("f-name-zh").value.trim(), name_en: field("f-name-en").value.trim(),
                 notes: field("f-notes").value.trim() };
    var number = field("f-id-number").value.trim().toUpperCase();
    if (number || entryId) body.id_number = number || null;
    var jurisdiction = field("f-jurisdiction");
    if (jurisdiction && jurisdiction.value.trim()) body.jurisdiction = jurisdiction.value.trim();
    field("entry-submit").disabled = true;
    say(message, t.saving);
    readPhotos(files).then(function (photos) {
      if (photos.length) body.photos = photos;
      return entryId ? send("PATCH", "/api/watchlist/" + encodeURIComponent(entryId), body) : send("POST", "/api/watchlist", body);
    }).then(function (result) {
      say(message, t.version + " " + result.version, "ok");
      window.location.reload();
    }).catch(function (error) {
      say(message, error.message, "error");
    }).then(function () { field("entry-submit").disabled = false; });
  });

  field("entry-cancel").addEventListener("click", resetForm);

  document.getElementById("entries-table").addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-entry-id]");
    if (!row) return;
    if (event.target.classList.contains("entry-edit")) {
      field("f-entry-id").value = row.dataset.entryId;
      field("f-name-zh").value = row.dataset.nameZh;
      field("f-name-en").value = row.dataset.nameEn;
      field("f-id-number").value = row.dataset.idNumber;
      field("f-notes").value = row.dataset.notes;
      if (field("f-jurisdiction")) field("f-jurisdiction").value = row.dataset.jurisdiction;
      title.textContent = title.dataset.edit + " " + row.dataset.entryId;
      field("entry-cancel").hidden = false;
      field("photos-keep").hidden = false;
      field("entry-card").scrollIntoView();
    } else if (event.target.classList.contains("entry-remove")) {
      if (!window.confirm(t.confirm_remove + " " + row.dataset.nameZh + " (" + row.dataset.entryId + ")")) return;
      send("DELETE", "/api/watchlist/" + encodeURIComponent(row.dataset.entryId)).then(function () {
        window.location.reload();
      }).catch(function (error) { say(message, error.message, "error"); });
    }
  });

  var push = document.getElementById("push");
  var pushMessage = document.getElementById("push-message");
  push.addEventListener("click", function () {
    push.disabled = true;
    say(pushMessage, t.pushing);
    send("POST", "/api/watchlist/sync/push", { full: document.getElementById("push-full").checked }).then(function (result) {
      var sent = result.sent.map(function (s) { return s.terminal_id + " (" + s.kind + ")"; }).join(", ");
      say(pushMessage, result.sent.length ? t.pushed_to + " " + result.version + ": " + sent : t.no_terminals, "ok");
    }).catch(function (error) {
      say(pushMessage, error.message, "error");
    }).then(function () { push.disabled = false; });
  });
})();

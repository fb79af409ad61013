// The police page: alerts pushed by server-sent events; the workflow buttons (only the steps open from
// the alert's status), a note, and refusals shown on the card; a new alert beeps (unless muted), raises
// a desktop notification and makes the page title blink with the count until the page is looked at.
(function () {
  var list = document.getElementById("alerts");
  var live = document.getElementById("live");
  var template = document.getElementById("alert-template");
  var t = JSON.parse(document.getElementById("i18n").textContent);
  var lang = document.body.dataset.lang;
  var muteKey = "guardpost.alerts.muted." + list.dataset.user;  // per login, on this browser
  var askedKey = "guardpost.alerts.notify-asked";

  function stamp(iso, zone) {
    var d = new Date(iso);
    var f = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    return f.format(d);
  }
  function text(card, selector, value) { card.querySelector(selector).textContent = value; }
  function named(zh, en) { return (lang === "zh" ? zh : (en || zh)) || ""; }

  // --- attention: sound, notification, title -------------------------------------------------------
  var muteButton = document.getElementById("mute");
  function muted() { return localStorage.getItem(muteKey) === "1"; }
  function showMute() {
    muteButton.textContent = muted() ? t.sound_off : t.sound_on;
    muteButton.setAttribute("aria-pressed", muted() ? "true" : "false");
  }
  muteButton.addEventListener("click", function () {
    localStorage.setItem(muteKey, muted() ? "0" : "1");
    showMute();
    showHint();
  });
  showMute();

  // Browsers start page audio only after the person has clicked or typed on the page: the first
  // click or key press unlocks it, and until then the page says so beside the switch.
  var Context = window.AudioContext || window.webkitAudioContext;
  var audio = null, soundHint = document.getElementById("sound-hint");
  function unlock() {
    if (!Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }
  function showHint() { soundHint.hidden = !Context || muted() || (audio !== null && audio.state === "running"); }
  document.addEventListener("pointerdown", function () { unlock(); setTimeout(showHint, 100); });
  document.addEventListener("keydown", function () { unlock(); setTimeout(showHint, 100); });
  unlock();
  showHint();

  function beep() {
    if (muted() || !Context) return;
    window.guardpostBeeps = (window.guardpostBeeps || 0) + 1;  // read by the browser tests
    try {
      unlock();
      [0, 0.25, 0.5].forEach(function (at) {  // three short high tones: hard to miss, not a siren
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 1046;
        gain.gain.setValueAtTime(0.25, audio.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.18);
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.2);
      });
    } catch (e) { /* no audio device: the title and the notification still show */ }
  }

  var notifyButton = document.getElementById("notify");
  function askPermission() {
    if (!("Notification" in window) || Notification.permission !== "default") return;
    localStorage.setItem(askedKey, "1");
    notifyButton.hidden = true;
    var asked = Notification.requestPermission();
    if (asked && asked.then) asked.then(function () {});
  }
  if ("Notification" in window && Notification.permission === "default") {
    if (localStorage.getItem(askedKey) === "1") notifyButton.hidden = false;  // asked once: now only on request
    else askPermission();
  }
  notifyButton.addEventListener("click", askPermission);

  function notify(title, body, tag) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try { new Notification(title, { body: body, tag: tag }); } catch (e) { /* notifications off */ }
  }
  function notifyAlert(a) {
    var escalated = list.dataset.supervisor ? t.escalated_to_you : t.st_escalated;
    var title = (a.escalated_at ? escalated + " · " : "") + t.alerts + " · " + (a.watchlist_name || a.watchlist_entry_id);
    notify(title, named(a.site_name_zh, a.site_name_en) + " " + stamp(a.occurred_at, a.site_timezone), a.alert_id);
  }

  var baseTitle = document.title, unseen = 0, blink = null;
  function flagTitle() {
    if (blink) return;
    var on = false;
    blink = setInterval(function () {
      on = !on;
      document.title = on ? "【" + t.new_alerts_title.replace("%d", unseen) + "】" + baseTitle : baseTitle;
    }, 800);
    document.title = "【" + t.new_alerts_title.replace("%d", unseen) + "】" + baseTitle;
  }
  function seen() {
    unseen = 0;
    if (blink) { clearInterval(blink); blink = null; }
    document.title = baseTitle;
  }
  window.addEventListener("focus", seen);
  document.addEventListener("keydown", seen);  // someone at the keyboard of an already focused page
  document.addEventListener("pointerdown", seen);
  document.addEventListener("visibilitychange", function () { if (!document.hidden && document.hasFocus()) seen(); });

  function attention(tell) {
    unseen += 1;
    beep();
    tell();
    flagTitle();
  }

  // --- cards -----------------------------------------------------------------------------------------
  function wanted(a) {  // a live alert not on the page: shown only if the page's filter lets it in
    var status = list.dataset.filterStatus, to = list.dataset.filterTo;
    if (status && status !== a.status) return false;
    if (list.dataset.filterEscalated && !a.escalated_at) return false;
    return !to || to >= a.occurred_at.slice(0, 10);
  }

  function holder(a) {
    if (!a.guard) return t.card_unregistered;
    return named(a.guard.name_zh, a.guard.name_en && a.guard.name_zh + " (" + a.guard.name_en + ")") + " · " + a.guard.id_number;
  }

  function render(a) {
    var card = document.getElementById("alert-" + a.alert_id);
    var fresh = !card;
    if (fresh) {
      if (!wanted(a)) return;
      card = template.content.firstElementChild.cloneNode(true);
      card.id = "alert-" + a.alert_id;
      card.dataset.alertId = a.alert_id;
      var none = document.getElementById("no-alerts");
      if (none) none.remove();
      list.prepend(card);
      card.classList.add("fresh");
    }
    var escalatedNow = a.escalated_at && !card.classList.contains("escalated");
    card.className = card.className.replace(/status-\S+/, "status-" + a.status);
    card.classList.toggle("escalated", !!a.escalated_at);
    card.dataset.status = a.status;
    card.querySelector(".checkin-photo").src = a.photo_url;
    var w = a.watchlist;
    if (w && w.photo_url) {
      var slot = card.querySelector(".watchlist-photo");
      if (slot.tagName !== "IMG") { var img = document.createElement("img"); img.className = "watchlist-photo"; slot.replaceWith(img); slot = img; }
      slot.src = w.photo_url;
    }
    text(card, ".wanted-name", a.watchlist_name || (w && w.name_zh) || "");
    text(card, ".entry-id", a.watchlist_entry_id);
    text(card, ".status", t["st_" + a.status]);
    card.querySelector(".escalated-badge").hidden = !a.escalated_at;
    text(card, ".id-number", (w && w.id_number) || "—");
    text(card, ".site", named(a.site_name_zh, a.site_name_en) || a.site_id || a.terminal_id);
    text(card, ".address-text", a.site_address || "—");
    var map = card.querySelector(".map-link");  // Amap (高德) at the site, when the registry has its coordinates
    map.hidden = !a.site_map_url;
    if (a.site_map_url) map.href = a.site_map_url; else map.removeAttribute("href");
    text(card, ".time", stamp(a.occurred_at, a.site_timezone));
    text(card, ".score", a.score.toFixed(2));
    text(card, ".matched-by", t["mb_" + a.matched_by] || a.matched_by);
    text(card, ".holder", holder(a));
    text(card, ".employer", named(a.employer_name_zh, a.employer_name_en) || "—");
    card.querySelectorAll("button[data-status]").forEach(function (b) { b.disabled = a.next.indexOf(b.dataset.status) < 0; });
    card.querySelector(".note").disabled = a.next.length === 0;
    var history = card.querySelector(".history");
    history.innerHTML = "";
    a.actions.forEach(function (s) {
      var li = document.createElement("li");
      li.textContent = [t["st_" + s.status] || s.status, s.actor, stamp(s.at, a.site_timezone)].concat(s.note ? [s.note] : []).join(" · ");
      history.appendChild(li);
    });
    if ((fresh && a.status === "new") || escalatedNow) attention(function () { notifyAlert(a); });
  }

  function refuse(card, message) {
    var error = card.querySelector(".card-error");
    error.textContent = t.alert_refused + "：" + message;
    error.hidden = false;
    card.classList.add("refused");
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-status]");
    if (!button) return;
    var card = button.closest(".alert-card");
    var note = card.querySelector(".note");
    card.querySelector(".card-error").hidden = true;
    card.classList.remove("refused");
    if (button.dataset.status === "false_positive" && !note.value.trim()) {  // the server refuses it too
      refuse(card, t.note_required);
      note.focus();
      return;
    }
    fetch("/api/alerts/" + card.dataset.alertId + "/status", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ status: button.dataset.status, note: note.value })
    }).then(function (response) {
      if (response.ok) { note.value = ""; return; }
      return response.json().then(function (body) {
        var words = typeof body.detail === "string" ? body.detail
          : Array.isArray(body.detail) ? body.detail.map(function (d) { return d.msg; }).join("；") : "";
        refuse(card, words || response.status + " " + response.statusText);
      }, function () { refuse(card, response.status + " " + response.statusText); });
    }, function () { refuse(card, t.disconnected); });
  });

  var source = new EventSource("/api/alerts/stream?since=" + encodeURIComponent(list.dataset.since));
  source.addEventListener("open", function () { live.textContent = t.live; live.className = "badge ok"; live.dataset.state = "live"; });
  source.addEventListener("error", function () { live.textContent = t.disconnected; live.className = "badge warn"; live.dataset.state = "reconnecting"; });
  source.addEventListener("alert", function (event) { render(JSON.parse(event.data)); });

  // A registered guard newly found on the list by a registry sweep (比中方式：身份证号).
  var hits = document.getElementById("registry-hits");
  function cell(row, value, small) {
    var td = row.insertCell();
    td.textContent = value;
    if (small) { var s = document.createElement("small"); s.className = "muted"; s.textContent = " " + small; td.appendChild(s); }
  }
  source.addEventListener("registry_hit", function (event) {
    var h = JSON.parse(event.data);
    if (document.getElementById("hit-" + h.id)) return;
    var row = document.getElementById("registry-hits-rows").insertRow(0);
    row.id = "hit-" + h.id;
    cell(row, h.guard_name_zh || h.guard_id, h.guard_id);
    cell(row, h.employer_name_zh || h.employer_id || "—");
    cell(row, h.watchlist_name || "", h.watchlist_entry_id);
    cell(row, stamp(h.first_seen_at, "Asia/Shanghai"));
    hits.hidden = false;
    attention(function () { notify(t.registry_hits + " · " + (h.guard_name_zh || h.guard_id), h.watchlist_name || h.watchlist_entry_id, "hit-" + h.id); });
  });
})();

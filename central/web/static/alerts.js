// The police page: alerts pushed by server-sent events, and the acknowledge / dispatch / false-positive buttons.
(function () {
  var list = document.getElementById("alerts");
  var live = document.getElementById("live");
  var template = document.getElementById("alert-template");
  var t = JSON.parse(document.getElementById("i18n").textContent);
  var lang = document.body.dataset.lang;

  function stamp(iso, zone) {
    var d = new Date(iso);
    var f = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    return f.format(d);
  }
  function text(card, selector, value) { card.querySelector(selector).textContent = value; }

  function render(a) {
    var card = document.getElementById("alert-" + a.alert_id);
    var fresh = !card;
    if (fresh) {
      card = template.content.firstElementChild.cloneNode(true);
      card.id = "alert-" + a.alert_id;
      card.dataset.alertId = a.alert_id;
      var none = document.getElementById("no-alerts");
      if (none) none.remove();
      list.prepend(card);
      card.classList.add("fresh");
    }
    card.className = card.className.replace(/status-\S+/, "status-" + a.status);
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
    text(card, ".id-number", (w && w.id_number) || "—");
    text(card, ".site", (lang === "zh" ? a.site_name_zh : (a.site_name_en || a.site_name_zh)) || a.site_id || a.terminal_id);
    text(card, ".time", stamp(a.occurred_at, a.site_timezone));
    text(card, ".score", a.score.toFixed(2));
    text(card, ".matched-by", t["mb_" + a.matched_by] || a.matched_by);
    var history = card.querySelector(".history");
    history.innerHTML = "";
    a.actions.forEach(function (s) {
      var li = document.createElement("li");
      li.textContent = t["st_" + s.status] + " · " + s.actor + " · " + stamp(s.at, a.site_timezone);
      history.appendChild(li);
    });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-status]");
    if (!button) return;
    var card = button.closest(".alert-card");
    fetch("/api/alerts/" + card.dataset.alertId + "/status", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ status: button.dataset.status })
    }).then(function (response) { if (!response.ok) card.classList.add("refused"); });
  });

  var source = new EventSource("/api/alerts/stream?since=" + encodeURIComponent(list.dataset.since));
  source.addEventListener("open", function () { live.textContent = t.live; live.className = "badge ok"; live.dataset.state = "live"; });
  source.addEventListener("error", function () { live.textContent = t.disconnected; live.className = "badge warn"; live.dataset.state = "reconnecting"; });
  source.addEventListener("alert", function (event) { render(JSON.parse(event.data)); });
})();

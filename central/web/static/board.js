// The on-duty board follows central: each check-in the account may read arrives on /api/board/stream,
// and the board's counts and cards are read again with the page's own filters (the same scoped queries
// as the page). On every (re)connection it is read once too, so that nothing missed while away stays missing.
(function () {
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) return;
  var pending = null, busy = false, again = false, fresh = {};

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    fetch(url.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var next = holder.querySelector("#board-live");
        var current = document.getElementById("board-live");
        if (!next || !current) return;
        Object.keys(fresh).forEach(function (id) {
          var row = next.querySelector('tr[data-event="' + id + '"]');
          if (row) row.classList.add("fresh");
        });
        fresh = {};
        // The counts and cards change in place: #board-body stays, so screen readers hear it (aria-live).
        current.querySelector("#board-counts").replaceWith(next.querySelector("#board-counts"));
        current.querySelector("#board-body").innerHTML = next.querySelector("#board-body").innerHTML;
        current.dataset.read = "live";  // read again since the page was served
      })
      .catch(function () { /* the next event or reconnection reads it again */ })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function soon() {
    clearTimeout(pending);
    pending = setTimeout(refresh, 50);
  }

  var source = new EventSource("/api/board/stream");
  source.addEventListener("open", function () {
    live.dataset.state = "live";
    live.textContent = live.dataset.live;
    soon();
  });
  source.addEventListener("checkin", function (event) {
    try { fresh[JSON.parse(event.data).event_id] = true; } catch (e) { /* a row without a mark */ }
    soon();
  });
  source.addEventListener("error", function () {
    live.dataset.state = "reconnecting";
    live.textContent = live.dataset.disconnected;
  });
})();

// Thumbnails of a guard never enrolled centrally (no portrait) or a tap without a photo are left out.
document.addEventListener("error", function (event) {
  if (event.target && event.target.classList && event.target.classList.contains("thumb")) {
    event.target.hidden = true;
  }
}, true);

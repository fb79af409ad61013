// Check-in photos open on click in a modal (the dashboard pages), beside the guard's registered
// portrait when there is one (a guard not enrolled centrally has none: the figure stays hidden).
(function () {
  var modal = document.getElementById("photo-modal");
  var img = document.getElementById("photo-modal-img");
  var portrait = document.getElementById("photo-modal-portrait");
  if (!modal || !img || !portrait) return;
  var portraitImg = portrait.querySelector("img");
  portraitImg.addEventListener("load", function () { portrait.hidden = false; });
  portraitImg.addEventListener("error", function () { portrait.hidden = true; });
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".photo-link");
    if (link) {
      img.src = link.dataset.photo;
      portrait.hidden = true;
      if (link.dataset.portrait) portraitImg.src = link.dataset.portrait; else portraitImg.removeAttribute("src");
      modal.hidden = false;
      return;
    }
    if (event.target === modal || event.target.id === "photo-modal-close") {
      modal.hidden = true;
      img.removeAttribute("src");
      portraitImg.removeAttribute("src");
    }
  });
})();

// Every same-origin write sent with fetch() carries the session's CSRF token (central/api/deps.py,
// csrf_protect), so that page scripts need not remember it; other sites' requests never get it.
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !meta.content || !window.fetch) return;
  var plain = window.fetch.bind(window);
  window.fetch = function (input, init) {
    init = init || {};
    var method = (init.method || (input && input.method) || "GET").toUpperCase();
    var url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    if (method !== "GET" && method !== "HEAD" && url.origin === window.location.origin) {
      var headers = new Headers(init.headers || {});
      if (!headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", meta.content);
      init = Object.assign({}, init, { headers: headers });
    }
    return plain(input, init);
  };
})();

// A list's page size applies at once (the pager's form; scripts may not sit in the page itself).
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches(".pager select[name=size]")) event.target.form.submit();
});

// Phones: the navigation folds behind the menu button (app.css shows it open on wider screens).
(function () {
  var toggle = document.getElementById("nav-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.closest("header").classList.toggle("open", open);
  });
})();

// Column headers sort the rows shown (a click sorts, a second click reverses; numbers as numbers, text by
// the page's language, empty cells last). The server pages the list; this orders the page at hand.
(function () {
  var collator = new Intl.Collator(document.documentElement.lang || "zh", { numeric: true });
  function key(row, index) {
    var cell = row.children[index];
    return cell ? cell.innerText.trim() : "";
  }
  function empty(text) { return text === "" || text === "—"; }
  function compare(a, b) {
    if (a === b) return 0;
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && String(x) === a.split(/\s/)[0] && String(y) === b.split(/\s/)[0]) return x - y;
    return collator.compare(a, b);
  }
  document.querySelectorAll("table.stack thead th").forEach(function (th) {
    if (!th.textContent.trim()) return;
    var table = th.closest("table");
    var body = table.tBodies[0];
    if (!body) return;
    th.classList.add("sortable");
    th.tabIndex = 0;
    th.setAttribute("aria-sort", "none");
    function sort() {
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      var rows = Array.prototype.filter.call(body.rows, function (r) { return r.children.length > 1; });
      if (rows.length < 2) return;
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      th.parentNode.querySelectorAll("th").forEach(function (other) { other.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows.sort(function (r1, r2) {
        var a = key(r1, index), b = key(r2, index);
        if (empty(a) !== empty(b)) return empty(a) ? 1 : -1;  // empty cells last either way
        return ascending ? compare(a, b) : compare(b, a);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); } });
  });
})();

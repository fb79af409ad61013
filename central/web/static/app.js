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

// Check-in photos open on click in a modal (the dashboard pages).
(function () {
  var modal = document.getElementById("photo-modal");
  var img = document.getElementById("photo-modal-img");
  if (!modal || !img) return;
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".photo-link");
    if (link) { img.src = link.dataset.photo; modal.hidden = false; return; }
    if (event.target === modal || event.target.id === "photo-modal-close") { modal.hidden = true; img.removeAttribute("src"); }
  });
})();

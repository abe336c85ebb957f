// Behaviour of every page, loaded by the base layout; every page also works without this file.
// Nothing in the templates runs script: the Content-Security-Policy forbids inline code.
document.documentElement.classList.add("js");

// Irreversible steps ask first, in the page's language (the question is in the form's data-confirm,
// or on the button that submits it).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// Choosing a value in a select marked data-autosubmit shows the result at once (the year pickers).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.submit();
  }
});

// Show only the metadata fields of the chosen document type.
(function () {
  var select = document.getElementById("doc_type");
  if (!select) { return; }
  function sync() {
    document.querySelectorAll(".type-fields").forEach(function (box) {
      var on = box.getAttribute("data-type") === select.value;
      box.hidden = !on;
      box.querySelectorAll("input, select").forEach(function (el) { el.disabled = !on; });
    });
  }
  select.addEventListener("change", sync);
  sync();
})();

// Live text status: an element with data-status-url asks the server every few seconds while the
// text is still being read, and shows the new state without a reload.
window.sandyk = window.sandyk || {};
window.sandyk.watch = function (el) {
  var url = el.getAttribute("data-status-url");
  var tries = 0;
  function ask() {
    tries += 1;
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        el.textContent = body.label;
        el.className = el.className.replace(/\btext-\w+/g, "").trim() + " text-" + body.text_status;
        if (body.pending && tries < 400) { window.setTimeout(ask, tries < 10 ? 2000 : 5000); }
        else { el.removeAttribute("data-status-url"); }
      })
      .catch(function () { if (tries < 400) { window.setTimeout(ask, 10000); } });
  }
  window.setTimeout(ask, 1500);
};
document.querySelectorAll("[data-status-url]").forEach(window.sandyk.watch);

// Page viewer: previous/next without reloading the page, and zoom. Without script the links reload
// the page at the chosen page.
(function () {
  var viewer = document.querySelector("[data-viewer]");
  if (!viewer) { return; }
  var pages = parseInt(viewer.getAttribute("data-pages"), 10);
  var page = parseInt(viewer.getAttribute("data-page"), 10);
  var src = viewer.getAttribute("data-src");
  var label = viewer.getAttribute("data-label");
  var pane = viewer.querySelector(".viewer-pane");
  var img = pane.querySelector("img");
  var where = viewer.querySelector(".viewer-where");
  var prev = viewer.querySelector("[data-viewer-go='-1']");
  var next = viewer.querySelector("[data-viewer-go='1']");
  var zooms = [1, 1.5, 2, 3];
  var zoom = 0;

  function imageUrl() {
    var url = src.replace("{page}", String(page));
    return zooms[zoom] > 1 ? url + (url.indexOf("?") < 0 ? "?" : "&") + "size=large" : url;
  }
  function show() {
    img.src = imageUrl();
    img.alt = where.textContent = label.replace("{page}", String(page));
    img.style.width = (zooms[zoom] * 100) + "%";
    pane.classList.toggle("zoomed", zoom > 0);
    prev.setAttribute("aria-disabled", page <= 1 ? "true" : "false");
    next.setAttribute("aria-disabled", page >= pages ? "true" : "false");
    var here = new URL(window.location.href);
    here.searchParams.set("page", String(page));
    window.history.replaceState(null, "", here.toString());
  }
  function go(delta) {
    var to = Math.min(Math.max(page + delta, 1), pages);
    if (to !== page) { page = to; pane.scrollTop = 0; show(); }
  }
  [prev, next].forEach(function (link) {
    link.addEventListener("click", function (e) {
      e.preventDefault();
      go(parseInt(link.getAttribute("data-viewer-go"), 10));
    });
  });
  viewer.querySelectorAll("[data-viewer-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var step = parseInt(button.getAttribute("data-viewer-zoom"), 10);
      zoom = step === 0 ? 0 : Math.min(Math.max(zoom + step, 0), zooms.length - 1);
      show();
    });
  });
  viewer.addEventListener("keydown", function (e) {
    if (e.key === "ArrowLeft" || e.key === "PageUp") { go(-1); }
    if (e.key === "ArrowRight" || e.key === "PageDown") { go(1); }
  });
  pane.tabIndex = 0;
})();

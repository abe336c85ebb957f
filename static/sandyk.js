// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
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

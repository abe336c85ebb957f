// The document page's text: the filter box marks every place the typed words occur, counts them,
// and Enter steps from one to the next. The text is only ever set as text, never as HTML.
(function () {
  var body = document.getElementById("doc-text-body");
  var box = document.getElementById("doc-text-filter");
  var count = document.getElementById("doc-text-count");
  if (!body || !box || !count) { return; }
  var text = body.textContent;
  var folded = text.toLocaleLowerCase();
  // Case folding that changes the length (rare letters) would shift the marks: search as typed then.
  var caseless = folded.length === text.length;
  var marks = [];
  var current = -1;
  var timer = null;

  function render() {
    var needle = box.value.trim().replace(/\s+/g, " ");
    marks = [];
    current = -1;
    body.textContent = "";
    if (!needle) {
      body.textContent = text;
      count.textContent = "";
      return;
    }
    var haystack = caseless ? folded : text;
    var wanted = caseless ? needle.toLocaleLowerCase() : needle;
    var fragment = document.createDocumentFragment();
    var from = 0;
    var at = haystack.indexOf(wanted);
    while (at !== -1) {
      fragment.appendChild(document.createTextNode(text.slice(from, at)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(at, at + wanted.length);
      fragment.appendChild(mark);
      marks.push(mark);
      from = at + wanted.length;
      at = haystack.indexOf(wanted, from);
    }
    fragment.appendChild(document.createTextNode(text.slice(from)));
    body.appendChild(fragment);
    count.textContent = marks.length
      ? box.getAttribute("data-found").replace("{n}", String(marks.length))
      : box.getAttribute("data-none");
    step();
  }

  function step() {
    if (!marks.length) { return; }
    if (current >= 0) { marks[current].classList.remove("current"); }
    current = (current + 1) % marks.length;
    marks[current].classList.add("current");
    // Scroll the text box only, not the whole page.
    body.scrollTop = marks[current].offsetTop - body.clientHeight / 3;
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(render, 120);
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      window.clearTimeout(timer);
      if (!marks.length) { render(); } else { step(); }
    }
  });
})();

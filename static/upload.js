// Drag and drop of several files: each file is sent on its own request with its own progress bar and
// outcome, so one refused file never stops the others. Without JavaScript the form posts normally.
(function () {
  var form = document.getElementById("upload-form");
  var input = document.getElementById("file-input");
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("upload-list");
  var tpl = document.getElementById("upload-item");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var msg = document.getElementById("upload-messages").dataset;
  var dropped = null;

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    dropped = Array.prototype.slice.call(e.dataTransfer.files);
    input.required = false;
    zone.querySelector("p").setAttribute("data-count", dropped.length);
    if (form.reportValidity()) { send(dropped); }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var files = dropped || Array.prototype.slice.call(input.files);
    if (files.length) { send(files); }
  });

  function send(files) {
    var many = files.length > 1;
    files.forEach(function (file) {
      var item = tpl.content.firstElementChild.cloneNode(true);
      item.querySelector(".name").textContent = file.name;
      list.appendChild(item);
      var data = new FormData(form);
      data.delete("file");
      data.append("file", file, file.name);
      if (many) { data.set("title", (data.get("title") || "") + " — " + file.name); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { item.querySelector("progress").value = Math.round(100 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        var out = item.querySelector(".outcome");
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
        item.querySelector("progress").value = 100;
        if (xhr.status === 201) {
          item.classList.add("ok");
          var a = document.createElement("a");
          a.href = body.url; a.textContent = msg.ok + ": " + body.case;
          out.appendChild(a);
          if (body.text_label) {
            var badge = document.createElement("span");
            badge.className = "badge text-" + body.text_status;
            badge.textContent = body.text_label;
            out.appendChild(document.createTextNode(" "));
            out.appendChild(badge);
            if (body.text_status === "pending" && window.sandyk && window.sandyk.watch) {
              badge.setAttribute("data-status-url", body.status_url);
              window.sandyk.watch(badge);
            }
          }
        } else {
          item.classList.add("fail");
          out.textContent = msg.fail + ": " + ((body.error && body.error.message) || xhr.status);
        }
      });
      xhr.addEventListener("error", function () {
        item.classList.add("fail");
        item.querySelector(".outcome").textContent = msg.network;
      });
      xhr.send(data);
    });
    dropped = null;
    input.value = "";
  }
})();

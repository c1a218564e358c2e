// Keeps the "Chosen" line of a grouped check-box list (shared with, areas affected) up to date
// as boxes are ticked. Without this script the line shows what was chosen when the page was sent.
(function () {
  document.querySelectorAll(".sm-grouped-checkboxes").forEach(function (box) {
    var line = box.querySelector("[data-testid=chosen]");
    if (!line) return;
    function update() {
      var names = Array.prototype.map.call(
        box.querySelectorAll("input[type=checkbox]:checked"),
        function (input) { return box.querySelector("label[for='" + input.id + "']").textContent.trim(); }
      );
      line.textContent = "";
      if (!names.length) { line.textContent = "None chosen."; return; }
      var strong = document.createElement("strong");
      strong.textContent = "Chosen (" + names.length + "): ";
      line.appendChild(strong);
      line.appendChild(document.createTextNode(names.join(", ")));
    }
    box.addEventListener("change", update);
  });
})();

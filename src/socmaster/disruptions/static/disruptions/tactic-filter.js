// Offers only the tactics of the chosen P (progressive enhancement: without this script the
// tactics are grouped under their P, and the server refuses a tactic of another P).
(function () {
  var fourP = document.getElementById("id_four_p");
  var tactic = document.getElementById("id_tactic");
  if (!fourP || !tactic) return;
  var all = Array.prototype.slice.call(tactic.querySelectorAll("option[data-four-p]"));
  var groups = Array.prototype.slice.call(tactic.querySelectorAll("optgroup"));
  var original = all.map(function (o) { return { option: o, parent: o.parentNode }; });
  function apply() {
    var p = fourP.value;
    original.forEach(function (item) {
      var show = !p || item.option.getAttribute("data-four-p") === p;
      if (show && item.option.parentNode !== item.parent) item.parent.appendChild(item.option);
      if (!show && item.option.parentNode) {
        if (item.option.selected) tactic.value = "";
        item.option.parentNode.removeChild(item.option);
      }
    });
    groups.forEach(function (g) {
      if (!g.children.length && g.parentNode) g.parentNode.removeChild(g);
      else if (g.children.length && !g.parentNode) tactic.appendChild(g);
    });
  }
  fourP.addEventListener("change", apply);
  apply();
})();

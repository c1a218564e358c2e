// The link chart: cytoscape.js over the nodes and ties the page was given (the same as its
// tables), with "expand" fetching one node's further ties from the chart's data URL.
(function () {
  "use strict";
  var box = document.getElementById("network-chart");
  var given = document.getElementById("network-data");
  if (!box || !given || typeof cytoscape === "undefined") { return; }
  var data = JSON.parse(given.textContent);
  var SHAPES = {
    nominal: "ellipse", threat: "octagon", phone: "diamond", address: "rectangle",
    place: "rectangle", vehicle: "triangle", business: "hexagon", account: "hexagon",
    online: "round-rectangle", email: "round-rectangle"
  };
  var COLOURS = {
    nominal: "#1d70b8", threat: "#d4351c", phone: "#00703c", address: "#6f72af",
    place: "#6f72af", vehicle: "#f47738", business: "#4c2c92", account: "#4c2c92",
    online: "#505a5f", email: "#505a5f"
  };
  var EDGES = {
    member: "#d4351c", identifier: "#00703c", associate: "#1d70b8", disruption: "#f47738",
    report: "#4c2c92", sar: "#4c2c92", resolved: "#505a5f", linked: "#b58840"
  };
  var more = data.more || {};

  function elements(d) {
    var out = [];
    d.nodes.forEach(function (n) {
      out.push({ group: "nodes", data: { id: n.id, label: n.label, type: n.type, url: n.url || "" } });
    });
    d.edges.forEach(function (e, i) {
      out.push({ group: "edges", data: {
        id: e.source + "|" + e.target + "|" + e.type + "|" + e.ref + "|" + i,
        source: e.source, target: e.target, type: e.type
      } });
    });
    return out;
  }

  var cy = cytoscape({
    container: box,
    elements: elements(data),
    layout: { name: "cose", animate: false, randomize: false },
    style: [
      { selector: "node", style: {
        label: "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 120,
        "background-color": function (n) { return COLOURS[n.data("type")] || "#505a5f"; },
        shape: function (n) { return SHAPES[n.data("type")] || "ellipse"; },
        width: 22, height: 22
      } },
      { selector: "node[id = '" + box.dataset.centre + "']", style: { width: 34, height: 34, "border-width": 3, "border-color": "#0b0c0c" } },
      { selector: "edge", style: {
        width: 2, "curve-style": "bezier",
        "line-color": function (e) { return EDGES[e.data("type")] || "#b1b4b6"; }
      } }
    ]
  });

  var panel = document.getElementById("network-expand");
  function listMore() {
    if (!panel) { return; }
    panel.textContent = "";
    var ids = Object.keys(more).filter(function (id) { return more[id] > 0; });
    if (!ids.length) { return; }
    var heading = document.createElement("h2");
    heading.className = "govuk-heading-s";
    heading.textContent = "Ties not shown";
    panel.appendChild(heading);
    ids.forEach(function (id) {
      var node = cy.getElementById(id);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-2";
      button.dataset.node = id;
      button.textContent = "Expand " + (node.nonempty() ? node.data("label") : id) + " (" + more[id] + " more)";
      button.addEventListener("click", function () { expand(id); });
      panel.appendChild(button);
    });
  }

  function expand(id) {
    var url = new URL(box.dataset.url, window.location.href);
    new URLSearchParams(window.location.search).forEach(function (v, k) { url.searchParams.append(k, v); });
    url.searchParams.set("expand", id);
    fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { nodes: [], edges: [], more: {} }; })
      .then(function (d) {
        var fresh = elements(d).filter(function (el) { return cy.getElementById(el.data.id).empty(); });
        cy.add(fresh);
        delete more[id];
        Object.keys(d.more || {}).forEach(function (k) { if (k !== id && !(k in more)) { more[k] = d.more[k]; } });
        cy.layout({ name: "cose", animate: false, randomize: false }).run();
        box.dataset.expanded = (box.dataset.expanded || "") + " " + id;
        listMore();
      });
  }

  cy.on("tap", "node", function (evt) {
    var url = evt.target.data("url");
    if (evt.originalEvent && evt.originalEvent.detail > 1 && url) { window.location.href = url; }
  });
  cy.on("dbltap", "node", function (evt) { expand(evt.target.id()); });
  box.dataset.ready = "true";
  box.dataset.nodes = String(cy.nodes().length);
  window.socmasterChart = cy;
  listMore();
}());

// Shows the BPMN files of a version in the bpmn-js viewer, one file at a time, and colours an instance's elements.
(function () {
  "use strict";
  const holder = document.querySelector("[data-diagram]");
  if (!holder || !window.BpmnJS) { return; }
  const bundle = JSON.parse(document.getElementById("diagram-data").textContent);
  const viewer = new window.BpmnJS({ container: holder });
  let shownProcesses = [];

  function elementOf(id) {
    return bundle.elements.find(function (e) { return e.id === id && shownProcesses.indexOf(e.process) >= 0; });
  }

  function colour() {
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    bundle.elements.forEach(function (e) {
      if (shownProcesses.indexOf(e.process) >= 0 && registry.get(e.id)) { canvas.addMarker(e.id, "state-" + e.state); }
    });
  }

  function row(list, label, value) {
    if (value === null || value === undefined || value === "") { return; }
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = label;
    if (typeof value === "object") {
      const pre = document.createElement("pre");
      pre.textContent = JSON.stringify(value, null, 2);
      dd.appendChild(pre);
    } else { dd.textContent = value; }
    list.append(dt, dd);
  }

  function showDetails(shape) {
    // Looked up on click: the panel may come after this script in the page.
    const details = document.querySelector("[data-element-details]");
    if (!details || !shape || shape.type === "bpmn:Process" || shape.type === "label") { return; }
    const element = elementOf(shape.id);
    const labels = bundle.labels;
    details.replaceChildren();
    const title = document.createElement("h3");
    title.textContent = (shape.businessObject.name || shape.id) + (element ? " — " + element.state_label : "");
    details.appendChild(title);
    if (!element) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = labels.none;
      details.appendChild(p);
      return;
    }
    const list = document.createElement("dl");
    list.className = "facts";
    row(list, labels.completed_by, element.completed_by);
    row(list, labels.completed_at, element.completed_at);
    row(list, labels.due_at, element.due_at);
    row(list, labels.error, element.error);
    row(list, labels.data, element.data);
    details.appendChild(list);
    details.setAttribute("data-shown", element.id);
  }

  async function show(name) {
    const file = bundle.files.find(function (f) { return f.name === name; });
    document.querySelectorAll("[data-file]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-file") === name);
    });
    const missing = document.querySelector("[data-test=no-layout]");
    missing.hidden = file.laid_out;
    holder.hidden = !file.laid_out;
    if (!file.laid_out) { return; }
    shownProcesses = file.processes;
    await viewer.importXML(file.xml);
    viewer.get("canvas").zoom("fit-viewport");
    colour();
    holder.setAttribute("data-shown-file", name);
  }

  viewer.on("element.click", function (event) { showDetails(event.element); });
  document.querySelectorAll("[data-file]").forEach(function (button) {
    button.addEventListener("click", function () { show(button.getAttribute("data-file")); });
  });
  function start() {
    if (bundle.files.length) { show(bundle.first || bundle.files[0].name); }
  }
  // Fit the diagram once the whole page is laid out: a side panel after this script narrows the viewer.
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();

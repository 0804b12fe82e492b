// The process modeler: bpmn-js Modeler over a bundle's files, a side panel for what the engine reads, drafts,
// validation shown on the elements, and deployment.
(function () {
  "use strict";
  const holder = document.querySelector("[data-modeler]");
  if (!holder || !window.BpmnJS) { return; }
  const data = JSON.parse(document.getElementById("modeler-data").textContent);
  const state = data.state;
  const labels = data.labels;
  const bundle = { bpmn: Object.assign({}, state.bpmn), forms: Object.assign({}, state.forms) };
  // The spiffworkflow extension elements our diagrams carry, typed so the panel can read and write them.
  const spiff = {
    name: "SpiffWorkflow", prefix: "spiffworkflow", uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    xml: { tagAlias: "lowerCase" }, associations: [],
    types: [
      { name: "Properties", superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [{ name: "name", type: "String", isAttr: true }, { name: "value", type: "String", isAttr: true }] }
    ]
  };
  const modeler = new window.BpmnJS({ container: holder, moddleExtensions: { spiffworkflow: spiff } });
  const modeling = modeler.get("modeling");
  const moddle = modeler.get("moddle");
  let currentFile = null;
  let selected = null;
  let problems = [];

  function csrf() { return document.querySelector("meta[name=csrf-token]").getAttribute("content"); }

  // `done` names the action answered, so whoever waits for one answer does not take an earlier one for it.
  function say(text, ok, done) {
    const status = document.querySelector("[data-test=status]");
    status.textContent = text;
    status.className = "flash " + (ok ? "ok" : "error");
    status.setAttribute("data-done", done || "");
    status.hidden = false;
  }

  async function keep() {
    if (currentFile) { bundle.bpmn[currentFile] = (await modeler.saveXML({ format: true })).xml; }
  }

  async function body() {
    await keep();
    return { bpmn: bundle.bpmn, forms: bundle.forms, comment: document.querySelector("[data-test=comment]").value || null,
             base_version: state.base_version };
  }

  async function post(url, payload) {
    const answer = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify(payload || {}) });
    let json = {};
    try { json = await answer.json(); } catch (err) { json = {}; }
    return { status: answer.status, json: json };
  }

  // --- the spiffworkflow properties of an element -------------------------------------------------------
  function spiffProps(bo) {
    const values = (bo.extensionElements && bo.extensionElements.values) || [];
    return values.find(function (v) { return v.$type === "spiffworkflow:Properties"; });
  }

  function spiffValue(bo, name) {
    const props = spiffProps(bo);
    const found = props && (props.properties || []).find(function (p) { return p.name === name; });
    return found ? found.value : "";
  }

  function setSpiffValue(element, name, value) {
    const bo = element.businessObject;
    let ext = bo.extensionElements;
    if (!ext) {
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateModdleProperties(element, bo, { extensionElements: ext });
    }
    let props = spiffProps(bo);
    if (!props) {
      props = moddle.create("spiffworkflow:Properties", { properties: [] });
      modeling.updateModdleProperties(element, ext, { values: (ext.values || []).concat([props]) });
    }
    const list = props.properties || [];
    const found = list.find(function (p) { return p.name === name; });
    if (found && value) {
      modeling.updateModdleProperties(element, found, { value: value });
    } else if (found) {
      modeling.updateModdleProperties(element, props, { properties: list.filter(function (p) { return p !== found; }) });
    } else if (value) {
      const created = moddle.create("spiffworkflow:Property", { name: name, value: value });
      modeling.updateModdleProperties(element, props, { properties: list.concat([created]) });
    }
  }

  function timerOf(bo) {
    return (bo.eventDefinitions || []).find(function (d) { return d.$type === "bpmn:TimerEventDefinition"; });
  }

  // --- the side panel -----------------------------------------------------------------------------------
  function field(name) { return document.querySelector("[data-field=" + name + "]"); }
  function input(name) { return document.querySelector("[data-prop=" + name + "]"); }

  function fillForms(chosen) {
    const select = input("form");
    select.replaceChildren();
    [""].concat(Object.keys(bundle.forms).sort()).forEach(function (name) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name || "—";
      select.appendChild(option);
    });
    select.value = chosen || "";
  }

  function showSchema(name) {
    field("schema").hidden = !name;
    input("schema").value = name && bundle.forms[name] ? JSON.stringify(bundle.forms[name], null, 2) : "";
    document.querySelector("[data-schema-error]").hidden = true;
  }

  function showPanel(element) {
    selected = element && element.type !== "bpmn:Process" && element.type !== "label" &&
      element.type !== "bpmn:Collaboration" ? element : null;
    document.querySelector("[data-panel]").hidden = !selected;
    document.querySelector("[data-panel-empty]").hidden = !!selected;
    if (!selected) { return; }
    const bo = selected.businessObject;
    const type = selected.type;
    document.querySelector("[data-panel-type]").textContent = labels.types[type] || type.replace("bpmn:", "");
    document.querySelector("[data-panel-id]").textContent = selected.id;
    input("name").value = bo.name || "";
    const user = type === "bpmn:UserTask";
    field("step").hidden = !user;
    field("form").hidden = !user;
    if (user) {
      input("step").value = spiffValue(bo, "step");
      fillForms(spiffValue(bo, "form"));
      showSchema(spiffValue(bo, "form"));
    } else { field("schema").hidden = true; }
    field("script").hidden = type !== "bpmn:ScriptTask";
    input("script").value = bo.script || "";
    field("condition").hidden = type !== "bpmn:SequenceFlow";
    input("condition").value = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    const timer = timerOf(bo);
    field("timeDate").hidden = !timer;
    input("timeDate").value = timer && timer.timeDate ? timer.timeDate.body || "" : "";
    const list = document.querySelector("[data-element-problems]");
    list.replaceChildren();
    problems.filter(function (p) { return p.element === selected.id && p.file === currentFile; }).forEach(function (p) {
      const li = document.createElement("li");
      li.className = "field-error";
      li.textContent = p.message;
      list.appendChild(li);
    });
  }

  function onChange(name, apply) {
    input(name).addEventListener("change", function () {
      if (selected) { apply(selected, input(name).value); }
    });
  }

  onChange("name", function (element, value) { modeling.updateProperties(element, { name: value || undefined }); });
  onChange("step", function (element, value) { setSpiffValue(element, "step", value.trim()); });
  onChange("form", function (element, value) { setSpiffValue(element, "form", value); showSchema(value); });
  onChange("script", function (element, value) { modeling.updateProperties(element, { script: value }); });
  onChange("condition", function (element, value) {
    const expression = value.trim() ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
    modeling.updateProperties(element, { conditionExpression: expression });
  });
  onChange("timeDate", function (element, value) {
    const timer = timerOf(element.businessObject);
    if (!timer) { return; }
    modeling.updateModdleProperties(element, timer, { timeDate: moddle.create("bpmn:FormalExpression", { body: value }),
                                                      timeDuration: undefined, timeCycle: undefined });
  });
  onChange("schema", function (_element, value) {
    const name = input("form").value;
    try {
      bundle.forms[name] = JSON.parse(value);
      document.querySelector("[data-schema-error]").hidden = true;
    } catch (err) { document.querySelector("[data-schema-error]").hidden = false; }
  });

  // --- problems on the elements and in the list ---------------------------------------------------------
  function mark() {
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    const overlays = modeler.get("overlays");
    overlays.remove({ type: "problem" });
    registry.getAll().forEach(function (el) { canvas.removeMarker(el.id, "has-problem"); });
    const messages = {};
    problems.forEach(function (p) {
      if (p.file !== currentFile || !p.element || !registry.get(p.element)) { return; }
      (messages[p.element] = messages[p.element] || []).push(p.message);
    });
    Object.keys(messages).forEach(function (id) {
      const p = { element: id };
      canvas.addMarker(p.element, "has-problem");
      const badge = document.createElement("div");
      badge.className = "problem-badge";
      badge.textContent = String(messages[id].length);
      badge.title = messages[id].join("\n");
      badge.setAttribute("data-problem-for", p.element);
      overlays.add(p.element, "problem", { position: { top: -22, right: 0 }, html: badge });
    });
  }

  function list() {
    const ul = document.querySelector("[data-test=problems]");
    ul.replaceChildren();
    document.querySelector("[data-test=no-problems]").textContent = problems.length ? "" : labels.none;
    problems.forEach(function (p) {
      const li = document.createElement("li");
      li.setAttribute("data-test", "problem");
      li.setAttribute("data-element", p.element || "");
      const where = document.createElement("button");
      where.type = "button";
      where.className = "link";
      where.textContent = (p.file || "") + (p.element ? " · " + p.element : "");
      where.addEventListener("click", async function () {
        if (p.file && bundle.bpmn[p.file] && p.file !== currentFile) { await show(p.file); }
        if (p.element) { find(p.element); }
      });
      li.append(where, document.createTextNode(": " + p.message));
      ul.appendChild(li);
    });
  }

  function setProblems(found) {
    problems = found || [];
    list();
    mark();
    showPanel(selected);
  }

  // --- files --------------------------------------------------------------------------------------------
  async function show(name) {
    await keep();
    currentFile = name;
    document.querySelectorAll("[data-file]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-file") === name);
    });
    await modeler.importXML(bundle.bpmn[name]);
    modeler.get("canvas").zoom("fit-viewport");
    selected = null;
    showPanel(null);
    mark();
    holder.setAttribute("data-shown-file", name);
  }

  // Find an element by id or name: large diagrams fit the screen only when small, so go to it at full size.
  function find(text) {
    const wanted = text.trim();
    const registry = modeler.get("elementRegistry");
    const el = registry.get(wanted) || registry.filter(function (e) {
      return e.type !== "label" && (e.businessObject.name || "").trim() === wanted;
    })[0];
    if (!el) { return false; }
    const canvas = modeler.get("canvas");
    canvas.zoom(1.0);
    canvas.scrollToElement(el);
    modeler.get("selection").select(el);
    return true;
  }
  const finder = document.querySelector("[data-test=find-element]");
  finder.addEventListener("change", function () { finder.classList.toggle("invalid", !find(finder.value)); });

  modeler.on("selection.changed", function (event) { showPanel(event.newSelection[0] || null); });
  modeler.on("element.changed", function (event) {
    if (selected && event.element === selected) { input("name").value = selected.businessObject.name || ""; }
  });
  document.querySelectorAll("[data-file]").forEach(function (button) {
    button.addEventListener("click", function () { show(button.getAttribute("data-file")); });
  });

  // --- actions ------------------------------------------------------------------------------------------
  const actions = {
    save: async function () {
      const answer = await post(state.urls.draft, await body());
      if (answer.status === 200) { say(labels.saved, true, "save"); } else { say(labels.failed, false, "save"); }
    },
    discard: async function () {
      const answer = await post(state.urls.discard, {});
      if (answer.status === 200) { window.location.reload(); } else { say(labels.failed, false, "discard"); }
    },
    validate: async function () {
      const answer = await post(state.urls.validate, await body());
      if (answer.status === 200) {
        setProblems([]);
        say(labels.valid, true, "validate");
      } else if (answer.json.problems) {
        setProblems(answer.json.problems);
        say(labels.invalid, false, "validate");
      } else { say(answer.json.detail || labels.failed, false, "validate"); }
    },
    deploy: async function () {
      const answer = await post(state.urls.deploy, await body());
      if (answer.status === 201 || answer.status === 200) {
        setProblems([]);
        const link = document.createElement("a");
        link.href = state.urls.version + answer.json.version;
        link.setAttribute("data-test", "deployed-version");
        link.textContent = String(answer.json.version);
        say((answer.status === 201 ? labels.deployed : labels.same) + " ", true, "deploy");
        document.querySelector("[data-test=status]").appendChild(link);
      } else if (answer.json.problems) {
        setProblems(answer.json.problems);
        say(labels.invalid, false, "deploy");
      } else { say(answer.json.detail || labels.failed, false, "deploy"); }
    }
  };
  document.querySelectorAll("[data-action]").forEach(function (button) {
    button.addEventListener("click", function () { actions[button.getAttribute("data-action")](); });
  });
  document.querySelector("[data-test=comment]").value = state.comment || "";

  function start() {
    const names = Object.keys(bundle.bpmn);
    if (names.length) { show(names[0]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();

// Small behaviours of the pages: repeating rows in task forms and the counterparty look-up at registration.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const name = add.getAttribute("data-add-row");
      const body = add.closest("fieldset").querySelector("tbody");
      const last = body.querySelector("tr:last-child");
      const next = body.querySelectorAll("tr").length;
      const copy = last.cloneNode(true);
      copy.querySelectorAll("[name]").forEach(function (input) {
        input.name = input.name.replace(new RegExp("^" + name + "-\\d+-"), name + "-" + next + "-");
        if (input.type === "radio" || input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
      });
      copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      body.appendChild(copy);
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest("tr");
      if (row.parentNode.querySelectorAll("tr").length > 1) { row.remove(); }
      else { row.querySelectorAll("input, select, textarea").forEach(function (i) { i.value = ""; }); }
    }
  });

  const form = document.getElementById("register-form");
  if (!form) { return; }
  const nameInput = form.querySelector("[data-lookup=name]");
  const innInput = form.querySelector("[data-lookup=inn]");
  const options = document.getElementById("counterparty-options");
  const box = document.getElementById("previous-appeals");
  let found = [];
  let timer = null;

  function show(match) {
    const list = box.querySelector("ul");
    list.innerHTML = "";
    if (!match || !match.appeals.length) { box.hidden = true; return; }
    match.appeals.forEach(function (a) {
      const li = document.createElement("li");
      // The server gives the date in the company's time zone: the browser's own zone may differ.
      li.textContent = a.number + " · " + a.received_on + " · " + a.subject;
      list.appendChild(li);
    });
    box.hidden = false;
  }

  function lookup(query, pick) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch("/ui/counterparties?q=" + encodeURIComponent(query), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (matches) {
          found = matches;
          options.innerHTML = "";
          matches.forEach(function (m) {
            const o = document.createElement("option");
            o.value = m.name;
            o.label = m.inn || "";
            options.appendChild(o);
          });
          show(pick(matches));
        });
    }, 250);
  }

  innInput.addEventListener("input", function () {
    const inn = innInput.value.trim();
    if (inn.length >= 10) {
      lookup(inn, function (ms) {
        const m = ms.find(function (x) { return x.inn === inn; });
        if (m && !nameInput.value) { nameInput.value = m.name; }
        return m;
      });
    } else { show(null); }
  });
  nameInput.addEventListener("input", function () {
    const name = nameInput.value.trim();
    if (name.length < 2) { return; }
    lookup(name, function (ms) {
      const m = ms.find(function (x) { return x.name === name; });
      if (m && m.inn && !innInput.value) { innInput.value = m.inn; }
      return m;
    });
  });
})();

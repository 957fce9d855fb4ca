// Small enhancements over pages that work without JavaScript: search suggestions as the shopper
// types (an ARIA combobox over the plain search form), and sorting as soon as a sort is chosen.
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;

  function suggest(input) {
    var url = input.getAttribute("data-suggest-url");
    var list = document.createElement("ul");
    var timer = null;
    var active = -1;
    var latest = 0;
    list.id = input.id + "-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function show(items) {
      list.textContent = "";
      items.forEach(function (item, index) {
        var option = document.createElement("li");
        var link = document.createElement("a");
        var kind = document.createElement("small");
        option.id = list.id + "-" + index;
        option.setAttribute("role", "option");
        link.href = item.url;
        link.textContent = item.text;
        kind.textContent = item.kind;
        link.appendChild(kind);
        option.appendChild(link);
        list.appendChild(option);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      active = (index + options.length) % options.length;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var prefix = input.value.trim();
      if (!prefix) { close(); return; }
      timer = setTimeout(function () {
        var ticket = ++latest;
        fetch(url + "?q=" + encodeURIComponent(prefix), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (items) { if (ticket === latest) { show(items); } })
          .catch(close);
      }, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = list.querySelectorAll("[role=option] a")[active].href;
      }
    });

    document.addEventListener("click", function (event) {
      if (!input.parentNode.contains(event.target)) { close(); }
    });
  }

  function sortOnChange(form) {
    var select = form.querySelector("select");
    var button = form.querySelector("button");
    if (!select || !button) { return; }
    button.hidden = true;
    select.addEventListener("change", function () { form.submit(); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(suggest);
  document.querySelectorAll(".sort-form").forEach(sortOnChange);
}());

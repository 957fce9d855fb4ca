// Small enhancements over pages that work without JavaScript: search suggestions as the shopper
// types (an ARIA combobox over the plain search form), sorting as soon as a sort is chosen, the
// variant picker's sold-out sizes, adding to the basket in place, the filter drawer kept open on
// wide screens.
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
        var kind = document.createElement("small");
        option.id = list.id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("data-url", item.url);
        option.textContent = item.text;
        kind.textContent = item.kind;
        option.appendChild(kind);
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
        choose(list.querySelectorAll("[role=option]")[active]);
      }
    });

    // An option is not a link (a control inside an option is out of reach of screen readers):
    // choosing one, by click or by Enter, goes to its page.
    function choose(option) { window.location.href = option.getAttribute("data-url"); }
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { choose(option); }
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

  // Tornado's double-submit token, when the form has one: the value of its _xsrf field, sent as
  // a header. The product page's form has none: fetch sends the page's Origin, which is enough.
  function requestHeaders(form) {
    var headers = { Accept: "application/json" };
    var field = form.querySelector("input[name=_xsrf]");
    if (field) { headers["X-XSRFToken"] = field.value; }
    return headers;
  }

  // A new idempotency key for a basket change: 16 random bytes, URL-safe base64 (22 characters).
  function newChangeKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The header's mini-basket, after a change: the count, its words ("2 items"), the subtotal.
  function showBasket(answer) {
    document.querySelectorAll("[data-basket-count]").forEach(function (badge) { badge.textContent = answer.item_count; });
    document.querySelectorAll("[data-basket-label]").forEach(function (label) { label.textContent = ", " + answer.items; });
    document.querySelectorAll("[data-basket-subtotal]").forEach(function (total) { total.textContent = answer.subtotal; });
  }

  // Colour swatches and size buttons of a product in both: the sizes sold out in the chosen
  // colour are disabled, the chosen pair's stock is shown, and its variant_id is sent with the
  // form (without the script the front finds it from product_id, colour and size).
  function variantPicker(form) {
    var table = JSON.parse(form.getAttribute("data-variants") || "[]");
    var stock = form.querySelector("[data-variant-stock]");
    var quantity = form.querySelector("input[name=quantity]");
    var colours = form.querySelectorAll("input[name=colour]");
    var sizes = form.querySelectorAll("input[name=size]");
    var chosenName = form.querySelector("[data-chosen]");
    var hidden = null;

    function checked(inputs) {
      for (var i = 0; i < inputs.length; i++) { if (inputs[i].checked) { return inputs[i]; } }
      return null;
    }
    function find(colour, size) {
      for (var i = 0; i < table.length; i++) {
        if (table[i][1] === colour && table[i][2] === size) { return table[i]; }
      }
      return null;
    }
    function byId(id) {
      for (var i = 0; i < table.length; i++) { if (String(table[i][0]) === id) { return table[i]; } }
      return null;
    }
    function showStock(variant) {
      var left = variant ? variant[3] : 0;
      stock.className = "variant-stock stock " + (!left ? "stock--out" : left < 5 ? "stock--low" : "stock--in");
      stock.textContent = !variant ? "Choose a size" : !left ? "Sold out in this size and colour" : left < 5 ? "Only " + left + " left" : "In stock";
      if (quantity && left) { quantity.max = Math.min(left, 99); }
    }
    function update() {
      var colour = checked(colours);
      if (!colour) { return; }
      if (chosenName) { chosenName.textContent = ": " + colour.value; }
      sizes.forEach(function (size) {
        var variant = find(colour.value, size.value);
        var soldOut = !variant || !variant[3];
        size.disabled = soldOut;
        if (soldOut && size.checked) { size.checked = false; }
        size.parentNode.querySelector("[data-sold-out]").textContent = soldOut ? ", sold out" : "";
      });
      var size = checked(sizes);
      if (!size) {
        for (var i = 0; i < sizes.length; i++) { if (!sizes[i].disabled) { sizes[i].checked = true; size = sizes[i]; break; } }
      }
      var variant = size ? find(colour.value, size.value) : null;
      hidden.value = variant ? variant[0] : "";
      showStock(variant);
    }

    if (colours.length && sizes.length) {
      hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "variant_id";
      form.appendChild(hidden);
      form.addEventListener("change", function (event) {
        if (event.target.name === "colour" || event.target.name === "size") { update(); }
      });
      update();
    } else {
      // One group: a swatch's colour is named beside the legend, as the shopper picks it.
      var named = function (radio) {
        var label = radio && form.querySelector("label[for='" + radio.id + "'][title]");
        if (chosenName && label) { chosenName.textContent = ": " + label.title; }
      };
      named(checked(form.querySelectorAll("input[name=variant_id]")));
      form.addEventListener("change", function (event) {
        if (event.target.name === "variant_id") { showStock(byId(event.target.value)); named(event.target); }
      });
    }
  }

  // The filter drawer is a sidebar on wide screens: open there, for browsers that cannot show a
  // closed <details>'s content through CSS (::details-content).
  function filterDrawer(drawer) {
    var wide = window.matchMedia("(min-width: 64rem)");
    function follow() { drawer.open = wide.matches; }
    follow();
    wide.addEventListener("change", follow);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && drawer.open && !wide.matches) { drawer.open = false; drawer.querySelector("summary").focus(); }
    });
  }

  function addToBasket(form) {
    var status = form.querySelector(".form-status");
    // The key of an add whose outcome is unknown (no answer, or 503) is sent again with the same
    // add, so a retry is applied once; a definite answer, or another add, gets a new key.
    var pending = null;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var body = new FormData(form);
      var change = new URLSearchParams(body).toString();
      if (!pending || pending.change !== change) { pending = { change: change, key: newChangeKey() }; }
      body.append("idempotency_key", pending.key);
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: body,
        headers: requestHeaders(form),
        credentials: "same-origin"
      })
        .then(function (response) {
          return response.json().then(function (answer) { return { ok: response.ok, status: response.status, answer: answer }; });
        })
        .then(function (result) {
          if (result.status !== 503) { pending = null; }
          status.classList.toggle("form-status--error", !result.ok);
          if (!result.ok) { status.textContent = result.answer.error; return; }
          showBasket(result.answer);
          status.textContent = "Added to your basket (" + result.answer.items + ", " + result.answer.subtotal + ").";
        })
        .catch(function () {
          // Not sent again by itself; the shopper's next press repeats it with the same key.
          status.classList.add("form-status--error");
          status.textContent = "We could not reach the shop. Press the button again: it is never added twice.";
        })
        .then(function () { button.disabled = false; });
    });
  }

  // A form that must not be sent twice by a double click (checkout steps, "place order"): the
  // button is disabled once the form is on its way. Placing an order is idempotent anyway.
  function submitOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending")) { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("button--busy");
      }
    });
    // Back to this page from the browser's cache (bfcache): it can be sent again.
    window.addEventListener("pageshow", function () { form.removeAttribute("data-sending"); });
  }

  // Reviews: "Helpful" counts the vote without leaving the page (the form posts and comes back
  // without JavaScript), and the review form says how many characters are left.
  function helpfulVote(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var status = form.querySelector(".review__helpful-count");
      button.disabled = true;
      fetch(form.action, { method: "POST", headers: { Accept: "application/json" }, body: new FormData(form), credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (answer) { return { ok: response.ok, status: response.status, answer: answer }; });
        })
        .then(function (result) {
          if (result.ok) {
            status.textContent = result.answer.helpful_count + " found this helpful";
          } else if (result.status === 401) {
            window.location.href = "/account/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
          } else {
            status.textContent = result.answer.error || "Your vote was not counted.";
            button.disabled = false;
          }
        })
        .catch(function () {
          status.textContent = "We could not reach the shop. Try again.";
          button.disabled = false;
        });
    });
  }

  function charactersLeft(field) {
    var note = document.createElement("p");
    var most = Number(field.getAttribute("maxlength"));
    note.className = "field__hint";
    note.setAttribute("aria-live", "polite");
    field.parentNode.insertBefore(note, field.nextSibling);
    function update() { note.textContent = (most - field.value.length) + " characters left"; }
    field.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("form.review__helpful").forEach(helpfulVote);
  document.querySelectorAll(".review-form textarea[maxlength]").forEach(charactersLeft);
  document.querySelectorAll("input[data-suggest-url]").forEach(suggest);
  document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
  document.querySelectorAll("form.add-to-basket").forEach(variantPicker);
  document.querySelectorAll("form.add-to-basket").forEach(addToBasket);
  document.querySelectorAll("details.filter-drawer").forEach(filterDrawer);
  document.querySelectorAll(".sort-form").forEach(sortOnChange);
}());

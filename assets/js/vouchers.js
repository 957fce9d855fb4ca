// The basket's voucher forms with JavaScript: applying or removing a code without leaving the
// page. Without it the same forms POST and the basket page comes back (web/handlers/vouchers.py);
// here the POST asks for JSON, a refusal is shown beside the field, and a change reloads only
// the basket's part of the page (its totals, discount lines and codes all come from the API).
(function () {
  "use strict";

  function headers(form) {
    var sent = { "Accept": "application/json" };
    var token = form.querySelector("input[name=_xsrf]");
    if (token) { sent["X-XSRFToken"] = token.value; }
    return sent;
  }

  function announce(text) {
    var region = document.getElementById("voucher-status");
    if (!region) {
      region = document.createElement("p");
      region.id = "voucher-status";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    region.textContent = text;
  }

  // The basket as the server renders it now, in place of the one on the page.
  function reloadBasket(said) {
    return fetch("/basket", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".basket");
        var current = document.querySelector(".basket");
        if (!fresh || !current) { window.location.assign("/basket"); return; }
        current.replaceWith(fresh);
        enhance(fresh);
        var field = fresh.querySelector("#voucher-code");
        if (field) { field.focus(); }
        announce(said);
      });
  }

  function send(form, onRefused) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      var code = new FormData(form).get("code") || "";
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: headers(form),
        credentials: "same-origin"
      })
        .then(function (response) {
          return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
        })
        .then(function (result) {
          if (result.answer.refusal) { onRefused(result.answer.refusal); return null; }  // a 200
          if (!result.ok) { onRefused(result.answer.error || "Something went wrong. Please try again."); return null; }
          var applying = form.classList.contains("voucher-form");
          var said = applying ? "Code " + result.answer.code + " applied." : "Code " + code + " removed.";
          return reloadBasket(said);
        })
        .catch(function () { onRefused("We could not reach the shop. Please try again."); })
        .then(function () { if (button) { button.disabled = false; } });
    });
  }

  function enhance(root) {
    root.querySelectorAll("form.voucher-form").forEach(function (form) {
      var field = form.querySelector("input[name=code]");
      var error = form.querySelector(".voucher-form__error");
      // What was said of the last code goes as soon as another is sent.
      form.addEventListener("submit", function () { error.hidden = true; });
      send(form, function (refusal) {
        error.textContent = refusal;
        error.hidden = false;
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", error.id);
        field.focus();
      });
    });
    root.querySelectorAll("form.voucher-remove").forEach(function (form) {
      send(form, function (refusal) { announce(refusal); });
    });
  }

  if (window.fetch && window.DOMParser) { enhance(document); }
}());

// Filière – territory search on the roadmap's filters (rapports.dashboard_forms
// .TerritorySearchInput): an ARIA 1.2 combobox whose list of matches the server sends as one
// types (rapports:territory_search, ten at most). Arrow keys move in the list, Enter chooses,
// Escape closes. Without this script the field takes a name or a code all the same.
(function () {
  "use strict";
  var DELAY_MS = 200;

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = document.getElementById(list.id + "-status");
    var url = input.getAttribute("data-territory-search");
    var timer = null;
    var request = null;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll('[role="option"]'));
    }

    function activate(index) {
      var items = options();
      active = index;
      items.forEach(function (item, position) {
        item.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(open) {
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) {
        activate(-1);
      }
    }

    function choose(item) {
      input.value = item.getAttribute("data-value");
      show(false);
      status.textContent = "";
    }

    function announce() {
      var count = options().length;
      if (count === 1) {
        status.textContent = input.getAttribute("data-found-one");
      } else if (count > 1) {
        status.textContent = input.getAttribute("data-found").replace("{n}", count);
      } else {
        status.textContent = list.textContent.trim();
      }
    }

    function search() {
      var text = input.value.trim();
      if (request) {
        request.abort();
      }
      if (text.length < 2) {
        list.innerHTML = "";
        show(false);
        return;
      }
      request = new AbortController();
      var query = "?q=" + encodeURIComponent(text);
      var departement = input.form && input.form.elements.namedItem("departement");
      if (departement && departement.value) {
        query += "&departement=" + encodeURIComponent(departement.value);
      }
      fetch(url + query, { signal: request.signal, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          list.innerHTML = html; // rendered and escaped by the server
          show(list.children.length > 0 && document.activeElement === input);
          activate(-1);
          announce();
        })
        .catch(function () {}); // an aborted or failed search leaves the field as typed
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var items = options();
      if (event.key === "ArrowDown" && items.length) {
        show(true);
        activate(Math.min(active + 1, items.length - 1));
        event.preventDefault();
      } else if (event.key === "ArrowUp" && items.length && !list.hidden) {
        activate(Math.max(active - 1, 0));
        event.preventDefault();
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        choose(items[active]); // the choice, not the form's submission
        event.preventDefault();
      } else if (event.key === "Escape" && !list.hidden) {
        show(false);
        event.preventDefault();
      }
    });
    input.addEventListener("blur", function () {
      show(false);
    });
    // A tap or click chooses; pressing the mouse must not take the focus from the field first.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var item = event.target.closest('[role="option"]');
      if (item) {
        choose(item);
      }
    });
  }

  document.querySelectorAll("[data-territory-search]").forEach(setup);
})();

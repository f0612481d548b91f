// Filière: small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // After an htmx swap of the results, tell screen readers and keep keyboard focus sensible.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "resultats") {
      event.detail.target.setAttribute("tabindex", "-1");
    }
  });

  // The site menu folds behind one button on narrow screens (CSS decides when the button
  // shows). aria-expanded says whether the list is open; Escape closes it and gives the
  // focus back to the button. Without JavaScript the list simply stays open.
  function setUpMenu() {
    var button = document.querySelector(".menu-toggle");
    var list = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!button || !list) {
      return;
    }
    var header = button.closest(".site-header");
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }
    header.classList.add("menu-folds");
    button.hidden = false;
    set(false);
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    header.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }

  // A table that is not laid out as cards scrolls inside its own box on a phone, so the
  // page itself never scrolls sideways. When the box does scroll it becomes a named,
  // focusable region, so keyboard users can scroll it too.
  var boxes = [];
  function boxTables() {
    var tables = document.querySelectorAll("main table");
    Array.prototype.forEach.call(tables, function (table) {
      if (table.closest(".table-scroll") || table.classList.contains("devices") ||
          table.classList.contains("import-rows") || table.classList.contains("cards")) {
        return;
      }
      var box = document.createElement("div");
      box.className = "table-scroll";
      var caption = table.querySelector("caption");
      if (caption) {
        if (!caption.id) {
          caption.id = "tableau-" + boxes.length;
        }
        box.setAttribute("aria-labelledby", caption.id);
      } else {
        box.setAttribute("aria-label", table.getAttribute("aria-label") || "Tableau");
      }
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
      boxes.push(box);
    });
    markScrollingBoxes();
  }
  function markScrollingBoxes() {
    boxes.forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  window.addEventListener("resize", markScrollingBoxes);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      setUpMenu();
      boxTables();
    });
  } else {
    setUpMenu();
    boxTables();
  }
})();

// Filière: small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // After an htmx swap of the results, tell screen readers and keep keyboard focus sensible.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "resultats") {
      event.detail.target.setAttribute("tabindex", "-1");
    }
  });
})();

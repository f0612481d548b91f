// Starts ReDoc without inline code: the schema's address and the page's CSP nonce (which
// ReDoc gives the <style> elements it writes) are read from the page.
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  var nonce = document.querySelector('meta[name="csp-nonce"]').content;
  Redoc.init(container.dataset.specUrl, { nonce: nonce, hideLoading: true }, container);
})();

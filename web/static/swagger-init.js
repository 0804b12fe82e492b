// Starts Swagger UI on the API docs page (a file, not inline: the Content-Security-Policy forbids inline script).
(function () {
  "use strict";
  const container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({ url: container.getAttribute("data-spec-url"), dom_id: "#swagger-ui-container" });
})();

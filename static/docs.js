// Starts Swagger UI on /docs from a file, not an inline script, so that the page keeps the
// Content-Security-Policy every other page has (script-src 'self').
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No call to validator.swagger.io: the page works offline and tells no one what it reads.
    validatorUrl: null,
  });
});

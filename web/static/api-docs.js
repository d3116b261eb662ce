// Starts Swagger UI on /schema. It lives in a file, not in the page, so that the page runs
// under the same Content-Security-Policy (script-src 'self') as every other page.
(() => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();

// GOV.UK Frontend's body classes, set before the page is painted (no inline script: see the CSP).
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");

// Starts GOV.UK Frontend's components (no inline script: see the CSP).
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

initAll();

// Progressive enhancement only: every page works without this file.
import { registerServiceWorker } from "./pwa/service-worker.js";
import { setUpInstallPrompt } from "./pwa/install.js";

registerServiceWorker();
setUpInstallPrompt();

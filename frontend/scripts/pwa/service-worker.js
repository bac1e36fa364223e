// Registers /sw.js and offers a new version only when one is waiting: the page is
// never reloaded under the person's fingers without asking (except a saved copy, whose
// banner says the fresh page is on its way).

// A saved copy shown because the network is slow (public/sw.js marks it): the worker
// says when the answer has come, and the page reloads to it (the worker hands it over
// without asking the network again), or that the network failed after all.
function awaitFreshCopy() {
  const banner = document.querySelector('[data-saved-copy="waiting"]');
  const worker = navigator.serviceWorker.controller;
  if (!banner || !worker) return;
  const address = location.href.split("#")[0];
  navigator.serviceWorker.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.url !== address) return;
    if (data.type === "motcua-fresh") {
      location.reload();
    } else if (data.type === "motcua-still-offline") {
      banner.dataset.savedCopy = "offline";
      document.getElementById("saved-waiting")?.setAttribute("hidden", "");
      document.getElementById("saved-offline")?.removeAttribute("hidden");
    }
  });
  worker.postMessage({ type: "motcua-await-fresh", url: address });
}

export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  awaitFreshCopy();
  const banner = document.getElementById("update-banner");
  const button = document.getElementById("update-button");

  const offer = (worker) => {
    if (!banner || !button || !navigator.serviceWorker.controller) return;
    banner.hidden = false;
    button.addEventListener("click", () => worker.postMessage({ type: "SKIP_WAITING" }), { once: true });
  };

  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading || !banner || banner.hidden) return;
    reloading = true;
    window.location.reload();
  });

  window.addEventListener("load", async () => {
    try {
      const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      if (registration.waiting) offer(registration.waiting);
      registration.addEventListener("updatefound", () => {
        const worker = registration.installing;
        worker?.addEventListener("statechange", () => {
          if (worker.state === "installed") offer(worker);
        });
      });
    } catch (error) {
      console.warn("service worker not registered", error);
    }
  });
}

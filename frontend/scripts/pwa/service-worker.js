// Registers /sw.js and offers a new version only when one is waiting: the page is
// never reloaded under the person's fingers without asking.

export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
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

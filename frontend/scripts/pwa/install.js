// Offers installation at a sensible moment: from the second visit on, never on the
// first screen a newcomer sees, and never again once declined.

const VISITS = "motcua.visits";
const DECLINED = "motcua.install-declined";

function remember(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode: forget quietly */ }
}

function recall(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

function isStandalone() {
  return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
}

function isIosSafari() {
  const ua = navigator.userAgent;
  return /iPhone|iPad|iPod/.test(ua) && /Safari/.test(ua) && !/CriOS|FxiOS|EdgiOS/.test(ua);
}

export function setUpInstallPrompt() {
  if (isStandalone() || recall(DECLINED)) return;
  const visits = Number(recall(VISITS) || "0") + 1;
  remember(VISITS, String(visits));
  if (visits < 2) return;

  const decline = (banner) => {
    banner.hidden = true;
    remember(DECLINED, "1");
  };

  if (isIosSafari()) {
    const banner = document.getElementById("ios-install");
    if (!banner) return;
    banner.hidden = false;
    document.getElementById("ios-install-dismiss")?.addEventListener("click", () => decline(banner));
    return;
  }

  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    const banner = document.getElementById("install-banner");
    if (!banner) return;
    banner.hidden = false;
    document.getElementById("install-button")?.addEventListener("click", async () => {
      banner.hidden = true;
      event.prompt();
      const { outcome } = await event.userChoice;
      if (outcome === "dismissed") remember(DECLINED, "1");
    }, { once: true });
    document.getElementById("install-dismiss")?.addEventListener("click", () => decline(banner), { once: true });
  });
}

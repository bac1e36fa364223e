// The payment pages' conveniences; every page works without this file.
// - an order's page asks the API while the payment is pending (every 2 s, slowing to
//   10 s, for at most 10 minutes) and, once its state changes, swaps in the status
//   the server renders (an aria-live region: screen readers hear it);
// - the pay button sends one order, however often it is pressed;
// - the receipt's print button;
// - the error summary takes focus, so a screen reader announces it.

const FIRST_DELAY_MS = 2000;
const MAX_DELAY_MS = 10000;
const GIVE_UP_MS = 10 * 60 * 1000;

function watchStatus() {
  const region = document.getElementById("payment-status");
  if (!region || region.dataset.status !== "pending") return;
  const started = Date.now();
  let delay = FIRST_DELAY_MS;

  async function swap() {
    const response = await fetch(region.dataset.page, { headers: { Accept: "text/html" }, cache: "no-store" });
    if (!response.ok) return false;
    const fresh = new DOMParser()
      .parseFromString(await response.text(), "text/html")
      .getElementById("payment-status");
    if (!fresh) return false;
    region.innerHTML = fresh.innerHTML;
    region.className = fresh.className;
    region.dataset.status = fresh.dataset.status;
    const heading = region.querySelector("h1");
    if (heading) document.title = `${heading.textContent.trim()} – Một Cửa`;
    return true;
  }

  async function poll() {
    if (Date.now() - started > GIVE_UP_MS) return;
    try {
      if (!document.hidden) {
        const response = await fetch(region.dataset.api, {
          headers: { Accept: "application/json" },
          cache: "no-store",
        });
        if (response.ok) {
          const payment = await response.json();
          if (payment.status !== "pending" && (await swap()) && region.dataset.status !== "pending") {
            return;
          }
        }
      }
    } catch {
      // Offline for a moment: ask again later.
    }
    delay = Math.min(MAX_DELAY_MS, Math.round(delay * 1.5));
    setTimeout(poll, delay);
  }

  setTimeout(poll, delay);
}

function sendOnce() {
  const form = document.querySelector(".pay-form");
  if (!form) return;
  let sent = false;
  form.addEventListener("submit", (event) => {
    if (sent) event.preventDefault();
    sent = true;
  });
  // Back from the gateway, the page may come from the back-forward cache.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) sent = false;
  });
}

function setUpPrint() {
  const button = document.getElementById("print-receipt");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

function focusErrors() {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
}

watchStatus();
sendOnce();
setUpPrint();
focusErrors();

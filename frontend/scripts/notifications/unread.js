// The unread count in the header and on the app's icon (where the browser has the
// Badging API). Loaded by base.html only on pages of a signed-in person. The notice
// pages render the count themselves; elsewhere it comes from /api/notices/unread. The
// service worker posts a new count when a notification arrives while a page is open.
const counter = document.getElementById("unread-count");
const number = document.getElementById("unread-number");

function badge(count) {
  if (!("setAppBadge" in navigator)) return;
  try {
    Promise.resolve(count > 0 ? navigator.setAppBadge(count) : navigator.clearAppBadge())
      .catch(() => { /* not allowed here (not installed): nothing to show */ });
  } catch {
    /* idem */
  }
}

function show(count) {
  if (!counter || !number || !Number.isInteger(count) || count < 0) return;
  number.textContent = String(count);
  counter.hidden = count === 0;
  badge(count);
}

async function fetchCount() {
  try {
    const response = await fetch("/api/notices/unread", {
      credentials: "same-origin",
      headers: { accept: "application/json" },
    });
    if (!response.ok) return;
    const data = await response.json();
    show(data.unread);
  } catch {
    /* offline: the count waits for the next page */
  }
}

if (counter) {
  if (counter.dataset.known === "1") show(Number(number.textContent));
  else fetchCount();
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data && event.data.type === "motcua-unread") show(event.data.unread);
  });
}

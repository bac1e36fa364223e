// The page's side of the offline queue (outbox.js): add what could not be sent, ask
// for a Background Sync, send the queue when the network returns, and tell the page
// what happened to each item (also when the service worker sent it).
import "./outbox.js";
import { csrfToken } from "./api.js";

const box = self.MotcuaOutbox;
const EVENT = "motcua-outbox";

function announce(detail) {
  window.dispatchEvent(new CustomEvent(EVENT, { detail }));
}

export function onOutbox(listener) {
  window.addEventListener(EVENT, (event) => listener(event.detail));
}

export async function queue(item) {
  const id = await box.add({ ...item, csrf: csrfToken() });
  // Not awaited: "ready" never settles on a page no worker controls. Without Background
  // Sync the "online" event or the next visit sends the queue.
  navigator.serviceWorker?.ready.then((registration) => registration.sync?.register(box.SYNC_TAG)).catch(() => {});
  return id;
}

export function flush() {
  if (!navigator.onLine) return Promise.resolve({ sent: 0, refused: 0, left: 0, offline: true });
  return box.flush({ token: csrfToken(), notify: announce }).catch(() => ({ sent: 0, left: 0, offline: true }));
}

export async function waiting(filter) {
  try {
    return (await box.list()).filter(filter);
  } catch {
    return [];
  }
}

export const forget = (id) => box.remove(id).catch(() => {});

navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data && event.data.type === EVENT) announce(event.data.detail);
});
window.addEventListener("online", () => flush());

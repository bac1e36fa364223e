// Web Push on this device: what the browser allows, whether this device is signed up,
// and turning it on or off. Used by the receipt's offer and the settings page.
import "./keep.js";

const keep = self.MotcuaPushKeep;
// From the person's "allow" to the page's answer: a browser whose push service cannot
// be reached (a network that blocks it) never settles subscribe(), and the button used
// to spin for 35 s and more. Every step after the permission shares this budget, so
// the page answers within 10 s (the permission prompt itself waits for the person).
const ANSWER_WITHIN_MS = 9000;

// What went wrong, for the page to say it in the person's language.
// `said`: the server's own message (in the page's language), when it gave one.
export class PushError extends Error {
  constructor(reason, detail = "", said = "") {
    super(detail || reason);
    // "blocked" | "dismissed" | "unsupported" | "network" | "server" | "unreachable" (the
    // browser's push service did not answer in time)
    this.reason = reason;
    this.said = said;
  }
}

// The sentence to show for a failure: the server's own words, else the page's message
// for the reason (`messages`: the data-* attributes of the page's element).
export function explain(error, messages) {
  if (error instanceof PushError) return error.said || messages[error.reason] || messages.server || "";
  return messages.server || "";
}

export function isStandalone() {
  return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
}

export function isIos() {
  const ua = navigator.userAgent;
  return /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
}

// iPhone and iPad (iOS 16.4+) deliver Web Push only to an app added to the home screen.
export function needsHomeScreen() {
  return isIos() && !isStandalone();
}

export function pushSupported() {
  return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window
    && "Notification" in window && "showNotification" in ServiceWorkerRegistration.prototype;
}

function csrfToken() {
  // On https the cookie is "__Host-csrftoken" (no other site can set it); prefer it
  // over a plain "csrftoken", which only plain http uses.
  const match =
    document.cookie.match(/(?:^|;\s*)__Host-csrftoken=([^;]+)/) ||
    document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// `ms`: how long to wait for the answer (by default, as long as the browser does).
async function send(method, url, body, ms = Infinity) {
  let response;
  const abort = new AbortController();
  const timer = Number.isFinite(ms) ? setTimeout(() => abort.abort(), Math.max(ms, 0)) : 0;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
    });
  } catch (error) {
    throw new PushError("network", String(error));
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  return { status: response.status, data };
}

function serverMessage(data, lang) {
  const error = (data && data.error) || {};
  return (lang === "en" ? error.message_en : error.message_vi) || error.message || "";
}

// A promise that gives up after `ms` with PushError(reason): a browser whose push
// service cannot be reached may never answer subscribe().
async function within(promise, ms, reason) {
  let timer = 0;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new PushError(reason, "timed out")), Math.max(ms, 0));
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function existingSubscription() {
  const found = await navigator.serviceWorker.getRegistration("/");
  return found ? found.pushManager.getSubscription() : null;
}

// { kind: "ios" | "unsupported" | "blocked" | "off" | "on" }. "on" needs the browser's
// permission, a subscription, and our record of having sent it for this sign-in
// session (`session`, when the page knows it): signing out drops it on the server.
export async function deviceState(session = "") {
  if (needsHomeScreen() && !pushSupported()) return { kind: "ios" };
  if (!pushSupported()) return { kind: "unsupported" };
  if (Notification.permission === "denied") return { kind: "blocked" };
  if (Notification.permission !== "granted") return { kind: "off" };
  const subscription = await existingSubscription();
  const kept = await keep.load();
  if (!subscription || !kept || kept.endpoint !== subscription.endpoint) return { kind: "off" };
  if (session && kept.session && kept.session !== session) return { kind: "off" };
  if (session && !kept.session) await keep.save({ ...kept, session });
  return { kind: "on" };
}

function sameKey(subscription, key) {
  const current = subscription.options && subscription.options.applicationServerKey;
  if (!current) return true; // older browsers do not say: keep it
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((byte, i) => byte === key[i]);
}

// Asks for permission (only from a tap), subscribes and sends the subscription.
export async function enable(lang, session = "") {
  if (!pushSupported()) throw new PushError("unsupported");
  const permission = await Notification.requestPermission();
  if (permission === "denied") throw new PushError("blocked");
  if (permission !== "granted") throw new PushError("dismissed");
  const deadline = Date.now() + ANSWER_WITHIN_MS;
  const left = () => deadline - Date.now();
  const worker = await within(navigator.serviceWorker.ready, left(), "unsupported");
  const key = await send("GET", "/api/push/key", undefined, left());
  if (key.status !== 200 || !key.data || !key.data.public_key) {
    throw new PushError("server", `key: ${key.status}`, serverMessage(key.data, lang));
  }
  const applicationServerKey = keep.bytesOf(key.data.public_key);
  let subscription = await worker.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, applicationServerKey)) {
    await within(subscription.unsubscribe(), left(), "unreachable");
    subscription = null;
  }
  if (!subscription) {
    // Given up on, a late subscription stays in the browser: the next try finds it
    // with getSubscription() above and sends it.
    try {
      subscription = await within(
        worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }),
        left(),
        "unreachable",
      );
    } catch (error) {
      if (error instanceof PushError) throw error;
      throw new PushError(error && error.name === "NotAllowedError" ? "blocked" : "unsupported", String(error));
    }
  }
  const json = subscription.toJSON();
  const answer = await send("POST", "/api/push/subscriptions", { ...json, lang }, Math.max(left(), 1000));
  if (answer.status !== 201 && answer.status !== 200) {
    throw new PushError("server", `subscribe: ${answer.status}`, serverMessage(answer.data, lang));
  }
  await keep.save({ endpoint: json.endpoint, auth: json.keys.auth, lang, session });
}

// Stops notifications to this device: the server forgets it, the browser too.
export async function disable() {
  const subscription = await existingSubscription();
  if (subscription) {
    try {
      await send("DELETE", "/api/push/subscriptions", { endpoint: subscription.endpoint });
    } catch {
      // No network: once the browser drops it, the push service answers 410 and the
      // server deletes it then.
    }
    await subscription.unsubscribe();
  }
  await keep.clear();
}

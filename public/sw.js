// Một Cửa service worker: hand-written, versioned caches, updates only when the
// person agrees (the page posts SKIP_WAITING after they tap "Cập nhật ngay").
// The server fills in VERSION and PRECACHE when it serves this file.

const VERSION = "__MOTCUA_VERSION__";
const PRECACHE = __MOTCUA_PRECACHE__;
const SHELL_CACHE = `motcua-shell-${VERSION}`;
const PAGES_CACHE = "motcua-pages-v1";
const PAGES_LIMIT = 50;
const NETWORK_TIMEOUT_MS = 4000;
const OFFLINE_URL = "/offline.html";

// Offline drafts: the dossier pages keep the saves, uploads and new drafts that could
// not be sent in IndexedDB (scripts/dossiers/outbox.js, shared with the pages). On a
// Background Sync "sync" event the worker sends them, in order, even with no page open;
// browsers without Background Sync send them from the page ("online", next visit).
try {
  importScripts(`/static/${VERSION}/scripts/dossiers/outbox.js`);
} catch (error) {
  console.warn("offline drafts are sent only from the pages", error);
}

self.addEventListener("sync", (event) => {
  const outbox = self.MotcuaOutbox;
  if (!outbox || event.tag !== outbox.SYNC_TAG) return;
  event.waitUntil(outbox.flush({ notify: tellPages }).then((summary) => {
    // Still no network: rejecting asks the browser to try this sync again later.
    if (summary.offline) throw new Error("offline");
  }));
});

async function tellPages(detail) {
  const pages = await self.clients.matchAll({ type: "window" });
  for (const page of pages) page.postMessage({ type: "motcua-outbox", detail });
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith("motcua-shell-") && name !== SHELL_CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(event));
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/icons/")) {
    event.respondWith(cacheFirst(request));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(SHELL_CACHE);
    cache.put(request, response.clone());
  }
  return response;
}

// Pages: the network when it answers in time, else the copy from the last visit,
// else the offline page. Only successful, non-personal pages are kept.
async function networkFirstPage(event) {
  const request = event.request;
  const cache = await caches.open(PAGES_CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok && isCacheable(response)) {
      event.waitUntil(cache.put(request, response.clone()).then(() => trim(cache)));
    }
    return response;
  } catch {
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    return (await caches.match(OFFLINE_URL)) || new Response("Offline", { status: 503 });
  }
}

function isCacheable(response) {
  const control = response.headers.get("Cache-Control") || "";
  return !/no-store|private/.test(control);
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

async function trim(cache) {
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - PAGES_LIMIT))) {
    await cache.delete(key);
  }
}

// Notifications (issue 6). The server sends { notice_id, kind, title, body, url, tag,
// unread }, already in the person's language. A newer notice about the same dossier
// replaces the older one on the phone (same tag). Tapping opens /thong-bao/<id>, a
// plain GET that marks the notice read and redirects to the dossier: the worker cannot
// send the CSRF token a POST would need. The subscription record (endpoint, auth
// secret, language) is kept in IndexedDB by scripts/notifications/keep.js.
try {
  importScripts(`/static/${VERSION}/scripts/notifications/keep.js`);
} catch (error) {
  console.warn("push subscription changes cannot be sent on", error);
}

const NOTICE_ICON = "/icons/icon-192.png";
// Android draws the status-bar badge from the alpha channel: a white glyph.
const NOTICE_BADGE = "/icons/badge-96.png";
const GENERIC_NOTICE = {
  vi: { title: "Một Cửa", body: "Bạn có thông báo mới về hồ sơ." },
  en: { title: "Một Cửa", body: "You have a new notice about a dossier." },
};

function sameOriginPath(value, fallback) {
  try {
    const url = new URL(value, self.location.origin);
    return url.origin === self.location.origin ? url.pathname + url.search + url.hash : fallback;
  } catch {
    return fallback;
  }
}

self.addEventListener("push", (event) => {
  let message = null;
  try {
    message = event.data ? event.data.json() : null;
  } catch {
    message = null;
  }
  event.waitUntil(showNotice(message || {}));
});

async function showNotice(message) {
  // userVisibleOnly: every push must show something, even one we cannot read.
  const kept = self.MotcuaPushKeep ? await self.MotcuaPushKeep.load() : null;
  const generic = GENERIC_NOTICE[(kept && kept.lang) || "vi"] || GENERIC_NOTICE.vi;
  const noticeId = Number.isInteger(message.notice_id) ? message.notice_id : null;
  const url = sameOriginPath(message.url || "/thong-bao", "/thong-bao");
  await self.registration.showNotification(String(message.title || generic.title), {
    body: String(message.body || (message.title ? "" : generic.body)),
    tag: String(message.tag || (noticeId ? `notice-${noticeId}` : "motcua")),
    renotify: true,
    icon: NOTICE_ICON,
    badge: NOTICE_BADGE,
    lang: (kept && kept.lang) || "vi",
    data: { url, notice_id: noticeId },
  });
  if (Number.isInteger(message.unread) && message.unread >= 0) {
    await setBadge(message.unread);
    const pages = await self.clients.matchAll({ type: "window" });
    for (const page of pages) page.postMessage({ type: "motcua-unread", unread: message.unread });
  }
}

async function setBadge(count) {
  const nav = self.navigator;
  if (!nav || !("setAppBadge" in nav)) return;
  try {
    await (count > 0 ? nav.setAppBadge(count) : nav.clearAppBadge());
  } catch {
    /* not installed, or not allowed: no badge */
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openNotice(event.notification.data || {}));
});

// A window already showing the dossier is focused and reloaded through the notice's
// address (marking it read); otherwise a new window opens there.
async function openNotice(data) {
  const url = sameOriginPath(data.url || "/thong-bao", "/thong-bao");
  const target = Number.isInteger(data.notice_id) ? `/thong-bao/${data.notice_id}` : url;
  const wanted = new URL(url, self.location.origin).pathname;
  const windows = await self.clients.matchAll({ type: "window" });
  const open = windows.find((client) => new URL(client.url).pathname === wanted);
  if (open) {
    try {
      await open.focus();
      await open.navigate(target);
      return;
    } catch {
      /* not ours to steer (uncontrolled): open a new one */
    }
  }
  await self.clients.openWindow(target);
}

// The browser renewed the subscription (keys expired, or the push service moved it):
// send the new one, proving with the old endpoint and secret that it is ours.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(renewSubscription(event));
});

async function renewSubscription(event) {
  const keep = self.MotcuaPushKeep;
  if (!keep) return;
  const kept = await keep.load();
  const old = event.oldSubscription || null;
  const oldEndpoint = (old && old.endpoint) || (kept && kept.endpoint);
  const oldAuthKey = old && old.getKey ? old.getKey("auth") : null;
  const oldAuth = oldAuthKey ? keep.base64url(oldAuthKey) : kept && kept.auth;
  if (!oldEndpoint || !oldAuth) return;
  let fresh = event.newSubscription || null;
  if (!fresh) {
    let applicationServerKey = old && old.options && old.options.applicationServerKey;
    if (!applicationServerKey) {
      const answer = await fetch("/api/push/key", { credentials: "same-origin" });
      applicationServerKey = keep.bytesOf((await answer.json()).public_key);
    }
    fresh = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  }
  const json = fresh.toJSON();
  const lang = (kept && kept.lang) || "vi";
  const response = await fetch("/api/push/subscriptions/change", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ old_endpoint: oldEndpoint, old_auth: oldAuth, subscription: { ...json, lang } }),
  });
  if (response.ok) {
    await keep.save({ ...(kept || {}), endpoint: json.endpoint, auth: json.keys.auth, lang });
  }
}

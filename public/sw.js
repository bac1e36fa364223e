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

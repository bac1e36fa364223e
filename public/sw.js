// Một Cửa service worker: hand-written, versioned caches, updates only when the
// person agrees (the page posts SKIP_WAITING after they tap "Cập nhật ngay").
// The server fills in VERSION and PRECACHE when it serves this file.

const VERSION = "__MOTCUA_VERSION__";
const PRECACHE = __MOTCUA_PRECACHE__;
const SHELL_CACHE = `motcua-shell-${VERSION}`;
// v2: pages are kept under their address without tracking parameters, stamped with
// the time they were saved (the v1 copies had neither, nor the saved-copy banner).
const PAGES_CACHE = "motcua-pages-v2";
const PAGES_LIMIT = 50;
// The signed-in person's own dossiers (codes and statuses), for the offline page;
// deleted on sign-out and whenever the server says the session is gone.
const PERSONAL_CACHE = "motcua-personal-v1";
const MINE_URL = "/api/dossiers/offline";
const MINE_EVERY_MS = 60_000;
// A form or request that changed something: the next navigation never comes from
// the cache. Kept in a cache too, since an upload can outlast an idle worker.
const STATE_CACHE = "motcua-state-v1";
const SUBMITTED_KEY = "/__motcua/submitted";
const SUBMITTED_FOR_MS = 15 * 60_000;
const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];
const SIGN_OUT_PATHS = [
  /^\/dang-xuat(-moi-noi)?$/,
  /^\/api\/auth\/logout(-everywhere)?$/,
  /^\/tai-khoan\/thiet-bi\/phien\/[^/]+\/ket-thuc$/, // perhaps this very session
];
// After this long without an answer a saved copy (if any) is shown, marked as such,
// while the answer is still awaited; without one the browser keeps waiting.
const SLOW_MS = 3000;
const SAVED_AT = "x-motcua-saved-at";
const START_URL = "/?source=pwa";
const OFFLINE_URL = "/offline.html";
const OUR_CACHES = [SHELL_CACHE, PAGES_CACHE, PERSONAL_CACHE, STATE_CACHE];
// Parameters that only say where a visitor came from: they never change a page, so a
// copy saved without them answers for them (?q= and the like are kept).
const TRACKING = /^(utm_[a-z]+|fbclid|gclid|gbraid|wbraid|dclid|msclkid|yclid|ttclid|twclid|igshid|zarsrc|_ga|_gl|mc_cid|mc_eid)$/i;

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
  event.waitUntil((async () => {
    await (await caches.open(SHELL_CACHE)).addAll(PRECACHE);
    // The installed app opens at the start URL: keep it from the first visit, as
    // anyone sees it (a signed-in person's pages are never kept).
    try {
      const response = await fetch(START_URL, { credentials: "omit" });
      if (response.ok && isCacheable(response)) await keepPage(pageKey(START_URL), response);
    } catch {
      /* the home page is kept at the next visit instead */
    }
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith("motcua-") && !OUR_CACHES.includes(name))
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "SKIP_WAITING") self.skipWaiting();
  if (data.type === "motcua-await-fresh" && event.source) {
    event.waitUntil(answerWhenFresh(event.source, String(data.url || "")));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (!SAFE_METHODS.includes(request.method)) {
    // Not answered here: the browser sends it as it would without a worker.
    event.waitUntil(noteSubmission(url));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(answerPage(event, url));
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/icons/")) {
    event.respondWith(cacheFirst(request, url));
  }
});

async function cacheFirst(request, url) {
  const cached = await caches.match(request);
  if (cached) return cached;
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(SHELL_CACHE);
      cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    // A page saved under an older release names that release's files: offline, this
    // release's copy of the same file is the best there is.
    const older = url.pathname.match(/^\/static\/[^/]+\/(.+)$/);
    const current = older && (await caches.match(`/static/${VERSION}/${older[1]}`));
    if (current) return current;
    throw error;
  }
}

// The key a page is kept under: its address without tracking parameters, and without
// the start URL's own marker.
function pageKey(address) {
  const url = new URL(address, self.location.origin);
  const kept = new URLSearchParams();
  for (const [name, value] of url.searchParams) {
    if (TRACKING.test(name) || (name === "source" && value === "pwa")) continue;
    kept.append(name, value);
  }
  const query = kept.toString();
  return `${url.origin}${url.pathname}${query ? `?${query}` : ""}`;
}

// Submissions ----------------------------------------------------------------------

let submittedAt = 0;

async function noteSubmission(url) {
  submittedAt = Date.now();
  const state = await caches.open(STATE_CACHE);
  await state.put(SUBMITTED_KEY, new Response(String(submittedAt)));
  if (SIGN_OUT_PATHS.some((path) => path.test(url.pathname))) await forgetPerson();
}

// Whether this navigation follows a submission; it takes the mark, so only the
// navigation right after one (the redirect that answers a POST) is concerned.
async function takeSubmission() {
  const state = await caches.open(STATE_CACHE);
  const mark = await state.match(SUBMITTED_KEY);
  const at = Math.max(submittedAt, mark ? Number(await mark.text()) || 0 : 0);
  submittedAt = 0;
  if (mark) await state.delete(SUBMITTED_KEY);
  return at > 0 && Date.now() - at < SUBMITTED_FOR_MS;
}

// Pages ------------------------------------------------------------------------------

const SLOW = Symbol("slow");
// Answers that came after their page was shown from a saved copy: the page reloads
// itself and gets this one, once, instead of asking the network again (a null
// response: the network failed after all, and the banner says so).
const fresh = new Map();
const FRESH_FOR_MS = 60_000;
// address -> the network's answer still awaited behind a saved copy.
const awaited = new Map();

// The network, always. Past SLOW_MS a saved copy says so ("Bản lưu lúc …") while the
// answer is awaited, and the page swaps to the answer when it comes. Only a failed
// fetch (no network) falls back for good: the saved copy, else the offline page.
// After a submission nothing comes from the cache: the person must see what the
// server answered (a code, a tracking link), or that it could not be reached.
async function answerPage(event, url) {
  const request = event.request;
  const handed = fresh.get(request.url);
  fresh.delete(request.url);
  if (handed && handed.response && Date.now() - handed.at < FRESH_FOR_MS) return handed.response;

  const submission = takeSubmission();
  const key = pageKey(request.url);
  const network = fetch(request).then((response) => {
    if (response.ok && isCacheable(response)) {
      event.waitUntil(keepPage(key, response.clone()).then(trimPages));
    }
    return response;
  });
  network.catch(() => {}); // each use below handles a failure; none is left unhandled
  const afterSubmission = await submission;
  event.waitUntil(network.then(() => refreshPerson(url, afterSubmission), () => {}));
  if (afterSubmission) return network.catch(offlinePage);

  let first;
  try {
    first = await Promise.race([network, new Promise((resolve) => setTimeout(resolve, SLOW_MS, SLOW))]);
  } catch {
    return (await savedCopy(key, "offline")) || offlinePage();
  }
  if (first !== SLOW) return first;
  const saved = await savedCopy(key, "waiting");
  if (!saved) return network.catch(offlinePage);
  awaited.set(request.url, network);
  event.waitUntil(network.then(
    (response) => fresh.set(request.url, { response, at: Date.now() }),
    () => fresh.set(request.url, { response: null, at: Date.now() }),
  ).finally(() => awaited.delete(request.url)));
  return saved;
}

// The saved copy's page asks when its fresh answer is there (scripts/pwa/service-worker.js).
async function answerWhenFresh(client, address) {
  try {
    await awaited.get(address);
  } catch {
    /* recorded in fresh: told below */
  }
  const outcome = fresh.get(address);
  if (!outcome) return; // the worker restarted since: the banner stays as it is
  client.postMessage({ type: outcome.response ? "motcua-fresh" : "motcua-still-offline", url: address });
}

function isCacheable(response) {
  const control = response.headers.get("Cache-Control") || "";
  return !/no-store|private/.test(control);
}

async function keepPage(key, response) {
  const headers = new Headers(response.headers);
  headers.set(SAVED_AT, String(Date.now()));
  const stamped = new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  await (await caches.open(PAGES_CACHE)).put(key, stamped);
}

async function trimPages() {
  const cache = await caches.open(PAGES_CACHE);
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - PAGES_LIMIT))) {
    await cache.delete(key);
  }
}

// The saved copy with its banner shown (frontend/templates/base.html holds it hidden,
// in the page's language): when it was saved, and whether the network is still
// awaited ("waiting") or failed ("offline").
async function savedCopy(key, state) {
  const saved = await (await caches.open(PAGES_CACHE)).match(key, { ignoreVary: true });
  if (!saved) return null;
  const html = await saved.text();
  const at = new Date(Number(saved.headers.get(SAVED_AT)) || Date.parse(saved.headers.get("date") || "") || Date.now());
  const lang = (html.match(/<html lang="([a-z-]+)"/) || [])[1] || "vi";
  const shown = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" }).format(at);
  let marked = html
    .replace('id="saved-copy" hidden', `id="saved-copy" data-saved-copy="${state}"`)
    .replace('<time id="saved-at"></time>', `<time id="saved-at" datetime="${at.toISOString()}">${shown}</time>`);
  if (state === "offline") {
    marked = marked.replace('id="saved-waiting"', 'id="saved-waiting" hidden').replace('id="saved-offline" hidden', 'id="saved-offline"');
  }
  const headers = new Headers(saved.headers);
  for (const name of ["content-length", "content-encoding", SAVED_AT]) headers.delete(name);
  return new Response(marked, { status: 200, headers });
}

async function offlinePage() {
  return (await caches.match(OFFLINE_URL)) || new Response("Offline", { status: 503 });
}

// The person's own dossiers ------------------------------------------------------------

let personCheckedAt = 0;
let personGeneration = 0;

// Refreshed after a page answered (so the network is there), only for someone who has
// a copy or opens their own pages (which only the signed-in see): at once on the list
// of their dossiers and after a submission (a new code), else at most once a minute.
async function refreshPerson(url, afterSubmission) {
  const cache = await caches.open(PERSONAL_CACHE);
  const path = url.pathname;
  const personal = path === "/ho-so" || path.startsWith("/ho-so/") || path.startsWith("/tai-khoan");
  if (!personal && !(await cache.match(MINE_URL))) return;
  const now = path === "/ho-so" || afterSubmission;
  if (!now && Date.now() - personCheckedAt < MINE_EVERY_MS) return;
  personCheckedAt = Date.now();
  const generation = personGeneration;
  let response;
  try {
    response = await fetch(MINE_URL, { credentials: "same-origin", headers: { accept: "application/json" } });
  } catch {
    return; /* no network after all: keep what the phone has */
  }
  if (generation !== personGeneration) return; // signed out meanwhile
  if (response.status === 401) {
    await forgetPerson(); // the session ended elsewhere (another tab, another device)
  } else if (response.ok) {
    const headers = new Headers(response.headers);
    headers.set(SAVED_AT, String(Date.now()));
    await cache.put(MINE_URL, new Response(await response.blob(), { status: 200, headers }));
  }
}

async function forgetPerson() {
  personGeneration += 1;
  personCheckedAt = 0;
  await caches.delete(PERSONAL_CACHE);
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

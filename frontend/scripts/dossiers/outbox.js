// Offline drafts: saves, uploads and new drafts that could not reach the server wait
// in IndexedDB and are sent, in order, when the network returns.
//
// A classic script (no import/export) so that both run the same code: the pages load
// it as a module for its side effect, and public/sw.js loads it with importScripts()
// to send the queue on a Background Sync "sync" event while no page is open.
// Everything it sends is idempotent: a draft is created with the client's draft_key
// (a replay finds the same draft), a save (PATCH) sets values, and an upload carries
// the Idempotency-Key its file was given when chosen (the server keeps it once and
// answers a retry with the first answer).
//
// An item: { id, kind: "create" | "patch" | "upload", method, url, csrf, queuedAt,
//   body (JSON, create and patch), dossier, component, key, name, type, data
//   (ArrayBuffer, upload), refused: { message, field } once the server said no }.
(function (scope) {
  "use strict";
  const DB_NAME = "motcua-outbox";
  const STORE = "items";
  const SYNC_TAG = "motcua-outbox";
  // What the server refuses for good: the item is dropped (and the person told).
  const REFUSED = new Set([400, 404, 409, 410, 413, 415, 422]);

  // A random UUID (crypto.randomUUID where the browser has it).
  function newKey() {
    if (scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function open() {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    return request(req);
  }

  async function withStore(mode, work) {
    const db = await open();
    try {
      const transaction = db.transaction(STORE, mode);
      const done = new Promise((resolve, reject) => {
        transaction.oncomplete = resolve;
        transaction.onerror = transaction.onabort = () => reject(transaction.error);
      });
      const result = await work(transaction.objectStore(STORE));
      await done;
      return result;
    } finally {
      db.close();
    }
  }

  function list() {
    return withStore("readonly", (store) => request(store.getAll()));
  }

  function remove(id) {
    return withStore("readwrite", (store) => request(store.delete(id)));
  }

  function put(item) {
    return withStore("readwrite", (store) => request(store.put(item)));
  }

  // Saves of the same dossier are merged: only the latest value of each field matters.
  async function add(item) {
    item.queuedAt = item.queuedAt || Date.now();
    if (item.kind === "patch") {
      const items = await list();
      const earlier = items.find((i) => i.kind === "patch" && i.url === item.url && !i.refused);
      if (earlier) {
        const body = { ...earlier.body, ...item.body };
        if (earlier.body.form_data || item.body.form_data) {
          body.form_data = { ...(earlier.body.form_data || {}), ...(item.body.form_data || {}) };
        }
        earlier.body = body;
        earlier.csrf = item.csrf || earlier.csrf;
        await put(earlier);
        return earlier.id;
      }
    }
    return put(item);
  }

  // One item to the server: { outcome: "done" | "refused" | "later" | "offline", data }.
  async function send(item, token) {
    const headers = { "x-csrftoken": token || item.csrf || "", accept: "application/json" };
    let response;
    try {
      if (item.kind === "upload") {
        if (!item.key) {
          // Queued by an earlier version of this script: keyed now, before its first
          // try from the queue, so that every later try is the same request.
          item.key = newKey();
          await put(item);
        }
        const form = new FormData();
        form.append("component_id", String(item.component));
        form.append("file", new Blob([item.data], { type: item.type }), item.name);
        response = await fetch(item.url, {
          method: "POST", body: form, headers: { ...headers, "Idempotency-Key": item.key }, credentials: "same-origin",
        });
      } else {
        response = await fetch(item.url, {
          method: item.method,
          body: JSON.stringify(item.body),
          headers: { ...headers, "content-type": "application/json" },
          credentials: "same-origin",
        });
      }
    } catch {
      return { outcome: "offline", data: null };
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok) return { outcome: "done", data };
    // The same upload's earlier try is still being taken in: not a refusal.
    if (response.status === 409 && item.kind === "upload") return { outcome: "later", data };
    if (REFUSED.has(response.status)) {
      const error = (data && data.error) || {};
      return { outcome: "refused", data, error: { message: error.message || "", field: error.field || null } };
    }
    return { outcome: "later", data };
  }

  async function sendAll(token, notify) {
    const summary = { sent: 0, refused: 0, left: 0, offline: false };
    const items = (await list()).sort((a, b) => a.id - b.id);
    for (const [index, item] of items.entries()) {
      if (item.refused) continue;
      const result = await send(item, token);
      if (result.outcome === "done") {
        await remove(item.id);
        summary.sent += 1;
      } else if (result.outcome === "refused") {
        item.refused = result.error;
        item.data = null;
        await put(item);
        summary.refused += 1;
      } else {
        summary.offline = result.outcome === "offline";
        summary.left = items.slice(index).filter((i) => !i.refused).length;
        if (notify) await notify({ item: strip(item), outcome: result.outcome });
        break;
      }
      if (notify) {
        await notify({ item: strip(item), outcome: result.outcome, data: result.data, error: result.error });
      }
    }
    return summary;
  }

  // What the pages need to know about an item (not its bytes).
  function strip(item) {
    const { data, ...rest } = item;
    return rest;
  }

  let running = null;

  // Send everything waiting; one sender at a time, in this page and across the pages
  // and the service worker where the Web Locks API exists.
  function flush(options) {
    const { token, notify } = options || {};
    if (running) return running;
    const work = () => sendAll(token, notify);
    const locks = scope.navigator && scope.navigator.locks;
    running = (locks ? locks.request(SYNC_TAG, work) : work()).finally(() => {
      running = null;
    });
    return running;
  }

  scope.MotcuaOutbox = { add, list, remove, flush, send, strip, newKey, SYNC_TAG };
})(self);

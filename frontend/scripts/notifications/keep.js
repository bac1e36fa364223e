// What this device remembers of its push subscription, in IndexedDB: the endpoint, its
// auth secret, the language and the sign-in session it was registered for.
//
// A classic script (no import/export), like dossiers/outbox.js, so both run the same
// code: the pages import it as a module for its side effect, and public/sw.js loads it
// with importScripts(). The service worker needs the old auth secret on
// "pushsubscriptionchange": it cannot read the CSRF cookie, so the server accepts the
// new subscription only from whoever proves they know the old one's endpoint and secret.
//
// The record: { endpoint, auth, lang, session } (session: the public id of the sign-in
// session the subscription was sent under, "" when the page did not know it).
(function (scope) {
  "use strict";
  const DB_NAME = "motcua-push";
  const STORE = "kv";
  const KEY = "subscription";

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function withStore(mode, work) {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    const db = await request(open);
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

  // Never throws: private modes and old browsers without IndexedDB remember nothing.
  async function load() {
    try {
      return (await withStore("readonly", (store) => request(store.get(KEY)))) || null;
    } catch {
      return null;
    }
  }

  async function save(record) {
    try {
      await withStore("readwrite", (store) => request(store.put(record, KEY)));
    } catch {
      /* nothing kept: "pushsubscriptionchange" then relies on event.oldSubscription */
    }
  }

  async function clear() {
    try {
      await withStore("readwrite", (store) => request(store.delete(KEY)));
    } catch {
      /* nothing was kept */
    }
  }

  // base64url (no padding) of an ArrayBuffer, as PushSubscription.toJSON() writes keys.
  function base64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function bytesOf(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  }

  scope.MotcuaPushKeep = { load, save, clear, base64url, bytesOf };
})(self);

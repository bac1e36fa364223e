// The offline page: what this phone keeps, listed so a person without signal can show
// their dossier codes at a counter and open the procedures they read lately. The cache
// names and the saved-at header are public/sw.js's.
import { readRecent } from "../catalogue/recent.js";

const PAGES_CACHE = "motcua-pages-v2";
const PERSONAL_CACHE = "motcua-personal-v1";
const MINE_URL = "/api/dossiers/offline";
const SAVED_AT = "x-motcua-saved-at";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function moment(at) {
  return new Intl.DateTimeFormat(document.documentElement.lang || "vi", {
    hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric",
  }).format(at);
}

async function showDossiers() {
  const section = document.getElementById("offline-dossiers");
  const list = document.getElementById("offline-dossiers-list");
  if (!section || !list) return;
  // Opening the caches creates nothing the worker would keep: a missing one is empty.
  if (!(await caches.has(PERSONAL_CACHE))) return;
  const kept = await (await caches.open(PERSONAL_CACHE)).match(MINE_URL);
  if (!kept) return;
  const { items } = await kept.json();
  if (!Array.isArray(items) || !items.length) return;
  const words = section.dataset;
  for (const dossier of items) {
    const item = element("li", "dossier-item");
    item.append(element("span", "item-title", dossier.procedure_name));
    const code = element("span", "meta", `${words.code} `);
    code.append(element("strong", "code", dossier.code));
    item.append(code, element("span", "status", dossier.status_text));
    if (dossier.due_text) item.append(element("span", "meta", `${words.due}: ${dossier.due_text}`));
    if (dossier.unpaid) item.append(element("strong", "badge badge-action", words.unpaid));
    list.append(item);
  }
  const at = Number(kept.headers.get(SAVED_AT));
  const time = document.getElementById("offline-dossiers-at");
  if (time && at) {
    time.dateTime = new Date(at).toISOString();
    time.textContent = moment(at);
  }
  section.hidden = false;
}

async function showRecent() {
  const section = document.getElementById("offline-recent");
  const list = document.getElementById("offline-recent-list");
  const recent = readRecent();
  if (!section || !list || !recent.length) return;
  const pages = await caches.open(PAGES_CACHE);
  for (const { code, name } of recent) {
    const address = `/p/${encodeURIComponent(code)}`;
    const item = element("li");
    if (await pages.match(new URL(address, location.origin).href, { ignoreVary: true })) {
      const link = element("a", "", name);
      link.href = address;
      item.append(link);
    } else {
      item.append(element("span", "", name), element("span", "meta", section.dataset.unsaved));
    }
    list.append(item);
  }
  section.hidden = false;
}

if ("caches" in window) {
  showDossiers().catch(() => { /* nothing readable kept: the list stays hidden */ });
  showRecent().catch(() => {});
}

// The procedures this phone opened last, kept in localStorage (code and name only).
// The service worker keeps the pages themselves, so they open without a network.
const KEY = "motcua.recent";
const LIMIT = 8;

export function readRecent() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(items) ? items.filter((item) => item && item.code && item.name) : [];
  } catch {
    return [];
  }
}

export function remember(code, name) {
  const items = readRecent().filter((item) => item.code !== code);
  items.unshift({ code, name });
  try {
    localStorage.setItem(KEY, JSON.stringify(items.slice(0, LIMIT)));
  } catch {
    // Private browsing or a full storage: the list is a convenience only.
  }
}

function showRecent() {
  const section = document.getElementById("recent");
  const list = document.getElementById("recent-list");
  if (!section || !list) return;
  const items = readRecent();
  if (!items.length) return;
  for (const item of items) {
    const link = document.createElement("a");
    link.href = `/p/${encodeURIComponent(item.code)}`;
    link.textContent = item.name;
    const entry = document.createElement("li");
    entry.append(link);
    list.append(entry);
  }
  section.hidden = false;
}

showRecent();

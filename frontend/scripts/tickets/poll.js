// Polling a small JSON with its ETag: an unchanged answer is a 304 with no body.
// Paused while the page is hidden (asked again at once when it shows), and backing
// off (up to two minutes) while the network fails.
const MAX_BACKOFF_MS = 120_000;

// ``every()`` gives the next wait in ms, or 0 to stop.
export function poll(url, { every, onData, onError }) {
  let etag = "";
  let timer = 0;
  let failures = 0;

  async function tick() {
    timer = 0;
    if (document.hidden) return;
    try {
      const response = await fetch(url, {
        headers: etag ? { "If-None-Match": etag, Accept: "application/json" } : { Accept: "application/json" },
        cache: "no-cache",
        credentials: "same-origin",
      });
      if (response.status === 200) {
        etag = response.headers.get("ETag") || "";
        onData(await response.json());
      } else if (response.status !== 304) {
        throw new Error(String(response.status));
      }
      failures = 0;
    } catch (error) {
      failures += 1;
      onError?.(error);
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    const base = every();
    if (!base) return; // done: nothing more will change
    const wait = failures ? Math.min(MAX_BACKOFF_MS, base * 2 ** failures) : base;
    timer = setTimeout(tick, wait);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !timer && every()) tick();
  });
  window.addEventListener("online", () => {
    if (!every()) return;
    failures = 0;
    clearTimeout(timer);
    tick();
  });
  schedule();
}

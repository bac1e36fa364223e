// The hall's screen updated in place every 5 s (an unchanged screen is a 304), instead
// of the reload the page does without scripts. A new day (a new entrance QR) reloads.
import { poll } from "./poll.js";

const hall = document.getElementById("hall");
const words = document.getElementById("hall-words")?.dataset;
const EVERY_MS = 5_000;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function counterWord(n) {
  return words.counter.replace("{n}", String(n));
}

function showCalls(calls) {
  const latest = document.getElementById("hall-latest");
  const first = calls[0];
  const fresh = first ? [el("span", "hall-code", first.code), el("span", "hall-arrow", "→"), el("span", "hall-to", counterWord(first.counter_number))] : [el("span", "hall-none", words.none)];
  fresh[1]?.setAttribute("aria-hidden", "true");
  const before = latest.textContent.replace(/\s+/g, "");
  const after = fresh.map((node) => node.textContent).join("").replace(/\s+/g, "");
  if (before !== after || (first && latest.dataset.times !== String(first.times_called))) {
    latest.replaceChildren(...fresh);
    latest.dataset.times = first ? String(first.times_called) : "";
    latest.classList.remove("hall-flash");
    void latest.offsetWidth; // restart the highlight's animation
    latest.classList.add("hall-flash");
  }
  const earlier = document.getElementById("hall-earlier");
  earlier.replaceChildren(
    ...calls.slice(1).map((call) => {
      const item = el("li");
      item.append(el("span", "hall-code", call.code), " ", el("span", "hall-to", counterWord(call.counter_number)));
      return item;
    }),
  );
}

function showLines(counters) {
  for (const line of counters) {
    const row = document.querySelector(`#hall-lines tr[data-counter="${line.counter_number}"]`);
    if (!row) continue;
    row.querySelector("[data-serving]").textContent = line.serving || "—";
    row.querySelector("[data-waiting]").textContent = String(line.waiting);
  }
}

if (hall && words) {
  poll(hall.dataset.api, {
    every: () => EVERY_MS,
    onData(screen) {
      if (screen.day !== hall.dataset.day) {
        window.location.reload();
        return;
      }
      showCalls(screen.calls);
      showLines(screen.counters);
    },
  });
}

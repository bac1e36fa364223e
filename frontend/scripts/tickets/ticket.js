// The ticket's page, live: asks for the ticket's status every 15 s (every 5 s once at
// most two people are ahead), paused while hidden. When the turn is near and when the
// number is called: the announcement (the aria-live state line), a vibration where
// the phone has one, and a local notification if the page already may show one (it
// never asks). Without this file the page reloads itself every 30 s.
import { poll } from "./poll.js";

const ticket = document.getElementById("ticket");
const words = document.getElementById("ticket-words")?.dataset;
const FAR_MS = 15_000;
const NEAR_MS = 5_000;

function setText(id, text) {
  const node = document.getElementById(id);
  if (node && node.textContent !== text) node.textContent = text;
}

async function notify(text) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    // Android's Chrome shows page notifications only through the service worker.
    const registration = await navigator.serviceWorker?.getRegistration();
    if (registration) await registration.showNotification(text, { tag: "motcua-ticket", renotify: true });
    else new Notification(text, { tag: "motcua-ticket" });
  } catch {
    // A phone that refuses is no worse off: the page itself says it.
  }
}

function signal(text, pattern) {
  navigator.vibrate?.(pattern);
  notify(text);
}

if (ticket && words) {
  const near = Number(ticket.dataset.near);
  const counter = ticket.dataset.counter;
  let state = ticket.dataset.state;
  let ahead = Number(ticket.dataset.ahead);
  let warned = state === "waiting" && ahead <= near;
  const format = new Intl.NumberFormat(document.documentElement.lang);

  poll(ticket.dataset.api, {
    every: () => {
      if (state !== "waiting" && state !== "called") return 0;
      return state === "waiting" && ahead <= near ? NEAR_MS : FAR_MS;
    },
    onError: () => setText("ticket-updated", words.offline),
    onData(status) {
      if (String(status.counter_number) !== counter) {
        // Sent to another counter: its name and words come with the page.
        setText("ticket-state", words.moved);
        window.location.reload();
        return;
      }
      setText("ticket-updated", "");
      const before = state;
      state = status.state;
      ahead = status.ahead;
      ticket.dataset.state = state;
      setText("ticket-serving", status.serving || "—");
      setText("ticket-ahead", format.format(ahead));
      setText("ticket-wait", ahead ? words.minutes.replace("{n}", format.format(status.wait_minutes)) : words.soon);
      if (state === "called") {
        setText("ticket-state", words.called);
        if (before !== "called") signal(words.called, [300, 150, 300, 150, 600]);
        document.getElementById("ticket-facts")?.setAttribute("hidden", "");
      } else if (state === "waiting") {
        const isNear = ahead <= near;
        setText("ticket-state", isNear ? words.near : words.waiting);
        if (isNear && !warned) signal(words.near, [200, 100, 200]);
        warned = warned || isNear;
      } else {
        setText("ticket-state", words[state] || "");
        document.getElementById("ticket-facts")?.setAttribute("hidden", "");
      }
      ticket.className = `ticket ticket-${state}`;
    },
  });
}

// The receipt's offer to be told when the dossier moves: asked after a first dossier,
// never on a first visit; on an iPhone outside the home screen, how to add the app
// first. Declining hides it for good on this device.
import { PushError, deviceState, enable, explain } from "./push.js";

const DECLINED = "motcua.push-offer-declined";

function recall() {
  try { return localStorage.getItem(DECLINED); } catch { return null; }
}

function remember() {
  try { localStorage.setItem(DECLINED, "1"); } catch { /* private mode: forget quietly */ }
}

async function setUp() {
  const offer = document.getElementById("push-offer");
  if (!offer || recall()) return;
  const messages = offer.dataset;
  const status = document.getElementById("push-offer-status");
  const ask = document.getElementById("push-offer-ask");
  const ios = document.getElementById("push-offer-ios");
  const say = (text) => { status.textContent = text; };
  const decline = () => { offer.hidden = true; remember(); };

  const state = await deviceState();
  if (state.kind === "ios") {
    ios.hidden = false;
    offer.hidden = false;
    document.getElementById("push-offer-ios-dismiss")?.addEventListener("click", decline, { once: true });
    return;
  }
  if (state.kind !== "off") return; // already on, blocked, or impossible here

  ask.hidden = false;
  offer.hidden = false;
  document.getElementById("push-offer-decline")?.addEventListener("click", decline, { once: true });
  const button = document.getElementById("push-offer-enable");
  button?.addEventListener("click", async () => {
    button.disabled = true;
    say(messages.working || "");
    try {
      await enable(document.documentElement.lang || "vi");
      ask.hidden = true;
      say(messages.done || "");
    } catch (error) {
      if (error instanceof PushError && error.reason === "blocked") ask.hidden = true;
      say(explain(error, messages));
      button.disabled = false;
    }
  });
}

setUp();

// The settings page: notifications on this device, with the state the browser is in
// (not supported, blocked, off, on) and one button to change it. The choice of what to
// be told is the page's plain form and needs no script.
import { deviceState, disable, enable, explain } from "./push.js";

const box = document.getElementById("device-push");

async function setUp() {
  if (!box) return;
  const messages = box.dataset;
  const session = messages.session || "";
  const state = document.getElementById("device-state");
  const note = document.getElementById("device-note");
  const on = document.getElementById("device-enable");
  const off = document.getElementById("device-disable");
  const ios = document.getElementById("device-ios");
  document.getElementById("device-no-script").hidden = true;

  async function show(extra = "") {
    const { kind } = await deviceState(session);
    state.textContent = messages[`state${kind[0].toUpperCase()}${kind.slice(1)}`] || "";
    on.hidden = kind !== "off";
    off.hidden = kind !== "on";
    ios.hidden = kind !== "ios";
    note.textContent = extra;
  }

  async function act(work, done) {
    on.disabled = off.disabled = true;
    note.textContent = messages.working || "";
    try {
      await work();
      await show(done);
    } catch (error) {
      await show(explain(error, messages));
    } finally {
      on.disabled = off.disabled = false;
    }
    (on.hidden ? off : on).focus();
  }

  const lang = document.documentElement.lang || "vi";
  on.addEventListener("click", () => act(() => enable(lang, session), messages.enabled));
  off.addEventListener("click", () => act(disable, messages.disabled));
  await show();
}

setUp();

// The feedback pages' conveniences; every page works without this file.
// - the error summary takes focus, so a screen reader announces it;
// - on the feedback form, the contact fields hide while "anonymous" is ticked, and
//   photos that would be refused (too many, over 10 MB) are named before anything
//   is uploaded on a slow network.

const MAX_BYTES = 10 * 1024 * 1024;

function focusErrors() {
  document.getElementById("error-summary")?.focus();
}

function anonymousToggle(form) {
  const box = form.querySelector("#anonymous");
  const fields = form.querySelector("#contact-fields");
  if (!box || !fields) return;
  const sync = () => {
    fields.hidden = box.checked;
  };
  box.addEventListener("change", sync);
  sync();
}

function photoCheck(form) {
  const input = form.querySelector("#photos");
  const texts = document.getElementById("feedback-messages");
  if (!input || !texts) return;
  const limit = Number(form.dataset.maxPhotos || 3);
  const message = document.createElement("span");
  message.className = "field-message";
  message.id = "photos-check";
  message.setAttribute("role", "alert");
  message.hidden = true;
  input.before(message);

  function problem() {
    const files = Array.from(input.files || []);
    if (files.length > limit) return texts.dataset.tooMany;
    const big = files.filter((file) => file.size > MAX_BYTES).map((file) => file.name);
    return big.length ? `${texts.dataset.tooBig} ${big.join(", ")}` : "";
  }

  function show() {
    const text = problem();
    message.textContent = text;
    message.hidden = !text;
    input.setAttribute("aria-invalid", text ? "true" : "false");
    return text;
  }

  input.addEventListener("change", show);
  form.addEventListener("submit", (event) => {
    if (show()) {
      event.preventDefault();
      input.focus();
    }
  });
}

focusErrors();
const form = document.getElementById("feedback-form");
if (form) {
  anonymousToggle(form);
  photoCheck(form);
}

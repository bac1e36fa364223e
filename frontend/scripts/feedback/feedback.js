// The feedback pages' conveniences; every page works without this file.
// - the error summary takes focus, so a screen reader announces it;
// - on the feedback form, the contact fields hide while "anonymous" is ticked and the
//   name is required only while it is not;
// - the form's fields are checked here first, as the server checks them, so that
//   nothing (no photo) travels over a slow network for a form the server would refuse;
// - chosen photos are made smaller (../image.js, as dossier photos are) while the
//   person types, and photos that would be refused (too many, over 10 MB) are named.
// A form the server still refuses keeps its photos there (shown as thumbnails).
import { prepare } from "../image.js";

const MAX_BYTES = 10 * 1024 * 1024;
const MIN_TEXT = 10;

function focusErrors() {
  document.getElementById("error-summary")?.focus();
}

function anonymousToggle(form) {
  const box = form.querySelector("#anonymous");
  const fields = form.querySelector("#contact-fields");
  const name = form.querySelector("#contact_name");
  if (!box || !fields) return;
  const sync = () => {
    fields.hidden = box.checked;
    if (!name) return;
    name.required = !box.checked;
    if (box.checked) name.removeAttribute("aria-required");
    else name.setAttribute("aria-required", "true");
  };
  box.addEventListener("change", sync);
  sync();
}

// The photos: kept ones left out on request, chosen ones made smaller in the input.
function photos(form, words) {
  const input = form.querySelector("#photos");
  const limit = Number(form.dataset.maxPhotos || 3);
  let ready = Promise.resolve();
  let round = 0;

  const keptCount = () => form.querySelectorAll('input[name="drop_photo"]:not(:checked)').length;
  form.querySelectorAll('input[name="drop_photo"]').forEach((box) => {
    box.addEventListener("change", () => box.closest(".kept-photo")?.classList.toggle("left-out", box.checked));
  });

  async function shrink() {
    const mine = ++round;
    const chosen = Array.from(input.files || []);
    if (!chosen.length || typeof DataTransfer !== "function") return;
    const smaller = [];
    // One at a time: three 12-megapixel photos decoded at once would not fit a cheap phone.
    for (const file of chosen) smaller.push((await prepare(file)) || file);
    if (mine !== round) return;
    const list = new DataTransfer();
    for (const file of smaller) list.items.add(file);
    input.files = list.files;
  }

  const files = () => Array.from(input?.files || []);
  const tooMany = () => (files().length + keptCount() > limit ? words.tooMany : "");
  function tooBig() {
    const big = files().filter((file) => file.size > MAX_BYTES).map((file) => file.name);
    return big.length ? `${words.tooBig} ${big.join(", ")}` : "";
  }

  if (input) {
    // Said at once, beside the input, without taking the focus away.
    const note = element("span", "field-message", "");
    note.id = "photos-check";
    note.setAttribute("role", "alert");
    note.hidden = true;
    input.before(note);
    input.addEventListener("change", () => {
      ready = shrink()
        .catch(() => {})
        .then(() => {
          note.textContent = tooMany() || tooBig();
          note.hidden = !note.textContent;
        });
    });
  }
  return { tooMany, tooBig, ready: () => ready };
}

// The checks the server makes of the fields, in its words: [input id, message] pairs.
function problems(form, words, photoProblem) {
  const found = [];
  const value = (id) => (form.querySelector(`#${id}`)?.value || "").trim();
  if (!form.querySelector('input[name="category"]:checked')) found.push(["category-thu_tuc", words.category]);
  if (value("text").length < MIN_TEXT) found.push(["text", words.text]);
  const agency = form.querySelector("select#agency_code");
  if (agency && !agency.value) found.push(["agency_code", words.agency]);
  if (photoProblem) found.push(["photos", photoProblem]);
  if (form.querySelector("#anonymous")?.checked) return found;
  if (!value("contact_name")) found.push(["contact_name", words.name]);
  const phone = value("contact_phone").replace(/\D/g, "");
  const email = value("contact_email");
  if (phone && !(phone.startsWith("0") && phone.length === 10)) found.push(["contact_phone", words.phone]);
  const domain = email.split("@").pop();
  if (email && (!email.includes("@") || /\s/.test(email) || !domain.includes("."))) found.push(["contact_email", words.email]);
  if (!phone && !email && "contactNeeded" in form.dataset) found.push(["contact_phone", words.contact]);
  return found;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// The problems shown as the server shows them: a summary that takes focus, and each
// message at its field.
function show(form, words, found) {
  document.querySelectorAll("[data-checked-here]").forEach((node) => node.remove());
  let summary = document.getElementById("error-summary");
  if (!summary) {
    summary = element("div", "error-summary");
    summary.id = "error-summary";
    summary.tabIndex = -1;
    summary.setAttribute("role", "alert");
    (document.querySelector("main h1") || form).after(summary);
  }
  const list = element("ul", "plain");
  for (const [id, message] of found) {
    const item = element("li");
    const link = element("a", "", message);
    link.href = `#${id}`;
    item.append(link);
    list.append(item);
    const input = form.querySelector(`#${id}`);
    const field = id.startsWith("category") ? form.querySelector("#category") : input?.closest(".field");
    const errorId = id.startsWith("category") ? "category-error" : `${id}-error`;
    if (!field || document.getElementById(errorId)) continue;
    const note = element("span", "field-message", message);
    note.id = errorId;
    note.dataset.checkedHere = "";
    field.classList.add("field-error");
    if (id.startsWith("category")) field.querySelector("legend").after(note);
    else input.before(note);
    const target = id.startsWith("category") ? field : input;
    target.setAttribute("aria-invalid", "true");
    const described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(errorId)) target.setAttribute("aria-describedby", [...described, errorId].join(" "));
  }
  summary.replaceChildren(element("h2", "", words.summary), list);
  summary.focus();
}

function feedbackForm(form) {
  const words = document.getElementById("feedback-messages")?.dataset;
  if (!words) return;
  anonymousToggle(form);
  const chosen = photos(form, words);
  const button = form.querySelector("#send-feedback");
  const status = element("p", "feedback-status");
  status.setAttribute("role", "status");
  button?.after(status);
  let sending = false;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    const found = problems(form, words, chosen.tooMany());
    if (found.length) return show(form, words, found);
    busy(true, words.preparing);
    await chosen.ready();
    const big = chosen.tooBig();
    if (big) {
      busy(false, "");
      return show(form, words, [["photos", big]]);
    }
    status.textContent = words.sending;
    form.submit();
  });

  function busy(yes, text) {
    sending = yes;
    if (button) button.disabled = yes;
    status.textContent = text;
  }
  // Back to this page from the next one (the browser's page cache): usable again.
  window.addEventListener("pageshow", () => busy(false, ""));
}

focusErrors();
const form = document.getElementById("feedback-form");
if (form) feedbackForm(form);

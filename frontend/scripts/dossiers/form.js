// The citizen's dossier pages, enhanced: questions shown only when they apply,
// autosave of each step, uploads with progress (upload.js), offline drafts sent
// when the network returns (queue.js), submission that survives a replay, and the
// receipt's copy and print buttons. Every page works without this file.
import { NetworkError, errorOf, problemsOf, sendJSON } from "./api.js";
import { flush, forget, onOutbox, queue, waiting } from "./queue.js";
import { setUpUploads } from "./upload.js";

const messages = document.getElementById("dossier-messages")?.dataset || {};
const text = (key) => messages[key] || "";
const statusBox = document.getElementById("save-status");

function status(message, kind = "") {
  if (!statusBox) return;
  statusBox.textContent = message;
  statusBox.className = `save-status ${kind}`.trim();
}

const ui = { text, status };
const valueOf = (form, name) => {
  const field = form.elements.namedItem(name);
  return field ? field.value || "" : "";
};

function setUpConditions(form) {
  const dependents = [...form.querySelectorAll("[data-when-field]")];
  if (!dependents.length) return;
  for (const hint of form.querySelectorAll(".when-hint")) hint.hidden = true;
  const update = () => {
    for (const wrapper of dependents) {
      wrapper.hidden = valueOf(form, wrapper.dataset.whenField) !== wrapper.dataset.whenEquals;
    }
  };
  form.addEventListener("change", update);
  update();
}

// Errors the server finds while autosaving, shown next to the field.
const anchorOf = (field) => (field && field.startsWith("form_data.") ? `f-${field.slice(10)}` : field);

function showFieldError(error) {
  const id = anchorOf(error.field);
  const input = id && document.getElementById(id);
  const wrapper = input && input.closest(".field");
  if (!wrapper) return;
  let note = document.getElementById(`${id}-error`);
  if (!note) {
    note = document.createElement("span");
    note.className = "field-message";
    note.id = `${id}-error`;
    wrapper.insertBefore(note, input.closest("fieldset") === wrapper ? input.closest("label") : input);
  }
  note.textContent = error.message;
  wrapper.classList.add("field-error");
  input.setAttribute("aria-invalid", "true");
}

function clearFieldError(id) {
  const input = document.getElementById(id);
  const wrapper = input && input.closest(".field");
  document.getElementById(`${id}-error`)?.remove();
  wrapper?.classList.remove("field-error");
  input?.removeAttribute("aria-invalid");
}

function setUpAutosave(form) {
  const kind = form.dataset.autosave;
  const url = `/api/dossiers/${form.dataset.dossier}`;
  const ours = (field) => field.name && (kind === "applicant" ? field.name.startsWith("applicant_") : field.id.startsWith("f-"));
  const names = new Set([...form.elements].filter(ours).map((field) => field.name));
  let changed = new Set();
  let timer = 0;

  async function keep(body) {
    await queue({ kind: "patch", method: "PATCH", url, dossier: Number(form.dataset.dossier), body });
    status(text("queued"), "queued");
  }

  async function save(options = {}) {
    clearTimeout(timer);
    if (!changed.size) return;
    const list = [...changed];
    changed = new Set();
    const values = Object.fromEntries(list.map((name) => [name, valueOf(form, name).trim()]));
    const body = kind === "applicant" ? values : { form_data: values };
    status(text("saving"));
    try {
      const { status: code, data } = await sendJSON("PATCH", url, body, options);
      if (code === 200) {
        status(text("saved"));
        for (const name of list) clearFieldError(kind === "applicant" ? name : `f-${name}`);
      } else if (code === 400 || code === 409 || code === 422) {
        // The server kept every valid value and names each one it refused.
        const problems = problemsOf(data);
        const refused = new Set(problems.map((problem) => anchorOf(problem.field)));
        for (const name of list) {
          const id = kind === "applicant" ? name : `f-${name}`;
          if (!refused.has(id)) clearFieldError(id);
        }
        problems.forEach(showFieldError);
        status(errorOf(data).message || text("failed"), "error");
      } else {
        await keep(body);
      }
    } catch (error) {
      if (error instanceof NetworkError) await keep(body);
      else status(text("failed"), "error");
    }
  }

  form.addEventListener("change", (event) => {
    if (!names.has(event.target.name)) return;
    changed.add(event.target.name);
    clearTimeout(timer);
    timer = setTimeout(save, 600);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save({ keepalive: true });
  });
  form.addEventListener("submit", (event) => {
    if (navigator.onLine) {
      // The form itself saves everything and checks it.
      clearTimeout(timer);
      changed = new Set();
      return;
    }
    event.preventDefault();
    changed = new Set(names);
    save().then(() => status(text("offline"), "queued"));
  });
}

function newDraftKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function setUpStart(form) {
  const key = newDraftKey();
  const buttons = form.querySelectorAll('button[type="submit"]');
  // A new draft starts at step 1; the one the person had (200) goes on where it stopped.
  const go = (dossier, created) =>
    location.assign(created ? `/ho-so/${dossier.id}/buoc/1` : `/ho-so/${dossier.id}/tiep-tuc`);
  onOutbox(({ item, outcome, data }) => {
    if (item.kind === "create" && item.body.draft_key === key && outcome === "done" && data) go(data, false);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const organisation = valueOf(form, "organisation_id");
    const body = { procedure_code: form.dataset.procedure, draft_key: key };
    const agency = valueOf(form, "agency_code");
    if (agency) body.agency_code = agency;
    if (organisation) body.organisation_id = Number(organisation);
    // "Tạo hồ sơ mới": a further draft beside the one there is.
    if (event.submitter && event.submitter.name === "another") body.another = true;
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const { status: code, data } = await sendJSON("POST", "/api/dossiers", body);
      if (code === 200 || code === 201) return go(data, code === 201);
      form.submit(); // the server explains what is wrong
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      await queue({ kind: "create", method: "POST", url: "/api/dossiers", body });
      status(text("queued"), "queued");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
    return undefined;
  });
}

function setUpSubmit(form) {
  const dossier = Number(form.dataset.dossier);
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!navigator.onLine) {
      status(text("offlineSubmit"), "error");
      return;
    }
    button.disabled = true;
    try {
      // What waits on the phone goes first: the server checks the whole dossier.
      await flush();
      if ((await waiting((i) => i.dossier === dossier && !i.refused)).length) {
        status(text("offlineSubmit"), "error");
        return;
      }
      const { status: code, data } = await sendJSON("POST", `/api/dossiers/${dossier}/submit`);
      // A replay of a submission that went through answers 409 "already submitted".
      if (code === 200 || (code === 409 && errorOf(data).field === "dossier")) {
        location.assign(form.dataset.receipt);
        return;
      }
      form.submit(); // the server shows what is missing, with links to the steps
    } catch {
      status(text("offlineSubmit"), "error");
    } finally {
      button.disabled = false;
    }
  });
}

function setUpReceipt() {
  const copy = document.getElementById("copy-code");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", () => {
      navigator.clipboard.writeText(copy.dataset.code).then(() => status(text("copied")), () => {});
    });
  }
  const print = document.getElementById("print-receipt");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", () => window.print());
  }
}

async function start() {
  document.getElementById("error-summary")?.focus();
  const ready = [];
  for (const form of document.querySelectorAll("form[data-dossier], form#start-form")) {
    setUpConditions(form);
    if (form.dataset.autosave) setUpAutosave(form);
    if (form.classList.contains("upload-form")) ready.push(setUpUploads(form, ui));
  }
  const startForm = document.getElementById("start-form");
  if (startForm) setUpStart(startForm);
  const submitForm = document.getElementById("submit-form");
  if (submitForm) setUpSubmit(submitForm);
  setUpReceipt();

  onOutbox(({ item, outcome, error }) => {
    if (outcome === "done") status(text("sent"));
    if (outcome === "refused" && item.kind !== "upload") {
      forget(item.id);
      status((error && error.message) || text("failed"), "error");
    }
  });
  for (const item of await waiting((i) => i.refused && i.kind !== "upload")) {
    status(item.refused.message || text("failed"), "error");
    forget(item.id);
  }
  await Promise.all(ready);
  const { sent } = await flush();
  if (sent && !statusBox?.textContent) status(text("sent"));
}

start();

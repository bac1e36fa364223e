// A document's photos and files: each chosen file is made smaller, checked against
// the limits, then sent with its own progress bar; a failure offers "Thử lại"; with
// no network the file waits on the phone (queue.js) and goes when the network returns.
// Each chosen file gets an Idempotency-Key, sent again with every retry (here or from
// the queue): the server keeps the file once and answers a retry as it did the first.
import { NetworkError, csrfToken, errorOf, sendJSON } from "./api.js";
import { prepare } from "../image.js";
import { forget, onOutbox, queue, waiting } from "./queue.js";

const MAX_FILE = 10 * 1024 * 1024;
const MAX_TOTAL = 50 * 1024 * 1024;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function sizeText(size) {
  return size >= 1024 * 1024 ? `${(size / 1048576).toFixed(1).replace(".", ",")} MB` : `${Math.max(1, Math.round(size / 1024))} KB`;
}

// The name the server will show (it collapses spaces).
const normalName = (name) => name.normalize("NFC").split(/\s+/).filter(Boolean).join(" ") || "anh.jpg";
const newKey = () => self.MotcuaOutbox.newKey();

function setUpBlock(block, state, ui) {
  const dossier = Number(block.dataset.dossier);
  const component = Number(block.dataset.component);
  const url = `/api/dossiers/${dossier}/files`;
  const files = block.querySelector(".files");
  const rows = block.querySelector(".uploads");
  const empty = block.querySelector(".no-files");
  const refresh = () => {
    if (empty) empty.hidden = files.children.length > 0;
  };

  function addFile(file) {
    const item = element("li", "file");
    item.dataset.file = file.id;
    item.dataset.size = file.size;
    const remove = element("button", "button-link", ui.text("remove"));
    remove.type = "submit";
    remove.name = "remove";
    remove.value = file.id;
    remove.append(element("span", "visually-hidden", ` ${file.display_name}`));
    item.append(element("span", "file-name", file.display_name), element("span", "meta", sizeText(file.size)), remove);
    files.append(item);
    refresh();
  }

  function progressRow(name) {
    const row = { item: element("li", "upload-item"), bar: document.createElement("progress") };
    row.bar.max = 100;
    row.bar.value = 0;
    row.bar.setAttribute("aria-label", name);
    row.state = element("span", "upload-state", ui.text("uploading"));
    row.retry = element("button", "button button-secondary", ui.text("retry"));
    row.retry.type = "button";
    row.retry.hidden = true;
    row.item.append(element("span", "file-name", name), row.bar, row.state, row.retry);
    rows.append(row.item);
    return row;
  }

  function fail(row, message, retry) {
    row.item.className = "upload-item failed";
    row.bar.hidden = true;
    row.state.textContent = message;
    row.retry.hidden = !retry;
    if (retry) row.retry.addEventListener("click", retry, { once: true });
  }

  function waitForNetwork(row, id) {
    row.item.className = "upload-item queued";
    row.item.dataset.outbox = id;
    row.bar.hidden = true;
    row.retry.hidden = true;
    row.state.textContent = ui.text("waiting");
  }

  async function keep(row, file, key) {
    try {
      const id = await queue({
        kind: "upload", method: "POST", url, dossier, component, key,
        name: normalName(file.name), type: file.type || "application/octet-stream", data: await file.arrayBuffer(),
      });
      waitForNetwork(row, id);
      ui.status(ui.text("queued"), "queued");
    } catch {
      fail(row, ui.text("failed"), () => send(row, file, key));
    }
  }

  function send(row, file, key) {
    state.busy += 1;
    state.used += file.size;
    row.item.className = "upload-item";
    row.bar.hidden = false;
    row.bar.value = 0;
    row.retry.hidden = true;
    row.state.textContent = ui.text("uploading");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("x-csrftoken", csrfToken());
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("Idempotency-Key", key);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) row.bar.value = Math.round((event.loaded * 100) / event.total);
    });
    const finish = () => {
      state.busy -= 1;
      state.used -= file.size;
    };
    xhr.addEventListener("load", () => {
      finish();
      if (xhr.status === 201 && xhr.response) {
        state.used += xhr.response.size;
        row.item.remove();
        addFile(xhr.response);
        return;
      }
      // 409: the same file's earlier try is still being taken in; ask again shortly.
      const again = xhr.status >= 500 || xhr.status === 429 || xhr.status === 403 || xhr.status === 409;
      fail(row, errorOf(xhr.response).message || ui.text("failed"), again ? () => send(row, file, key) : null);
    });
    const lost = () => {
      finish();
      keep(row, file, key);
    };
    xhr.addEventListener("error", lost);
    xhr.addEventListener("timeout", lost);
    const body = new FormData();
    body.append("component_id", String(component));
    body.append("file", file, normalName(file.name));
    xhr.send(body);
  }

  async function handle(file) {
    const row = progressRow(file.name);
    const prepared = await prepare(file);
    if (!prepared) return fail(row, ui.text("wrongType"));
    if (prepared.size > MAX_FILE) return fail(row, ui.text("tooBig"));
    if (state.used + prepared.size > MAX_TOTAL) return fail(row, ui.text("tooMuch"));
    return send(row, prepared, newKey());
  }

  for (const input of block.querySelectorAll('input[type="file"]')) {
    input.addEventListener("change", () => {
      const chosen = [...input.files];
      input.value = "";
      for (const file of chosen) handle(file);
    });
  }

  files.addEventListener("click", async (event) => {
    const button = event.target.closest('button[name="remove"]');
    if (!button) return;
    event.preventDefault();
    const item = button.closest("li");
    button.disabled = true;
    try {
      const { status, data } = await sendJSON("DELETE", `${url}/${button.value}`);
      if (status === 204 || status === 404) {
        state.used -= Number(item.dataset.size || 0);
        item.remove();
        refresh();
        return;
      }
      ui.status(errorOf(data).message || ui.text("failed"), "error");
    } catch (error) {
      ui.status(ui.text(error instanceof NetworkError ? "offline" : "failed"), "error");
    }
    button.disabled = false;
  });

  onOutbox(({ item, outcome, data, error }) => {
    if (item.kind !== "upload" || item.dossier !== dossier || item.component !== component) return;
    const node = rows.querySelector(`[data-outbox="${item.id}"]`);
    if (outcome === "done") {
      node?.remove();
      if (data) addFile(data);
      else if (node) location.reload();
    } else if (outcome === "refused") {
      forget(item.id);
      if (node) {
        node.className = "upload-item failed";
        node.querySelector(".upload-state").textContent = (error && error.message) || ui.text("failed");
      }
    }
  });

  // Files kept on this phone from an earlier visit.
  return waiting((i) => i.kind === "upload" && i.dossier === dossier && i.component === component).then((items) => {
    for (const item of items) {
      const row = progressRow(item.name);
      if (item.refused) {
        fail(row, item.refused.message || ui.text("failed"));
        forget(item.id);
      } else {
        waitForNetwork(row, item.id);
      }
    }
  });
}

// Returns a promise that settles once files kept on the phone are shown.
export function setUpUploads(form, ui) {
  const state = { used: Number(form.dataset.used || 0), busy: 0 };
  for (const button of form.querySelectorAll(".upload-button")) button.hidden = true;
  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.name === "remove") return;
    if (state.busy > 0) {
      event.preventDefault();
      ui.status(ui.text("busy"), "error");
    } else if (!navigator.onLine) {
      event.preventDefault();
      ui.status(ui.text("offline"), "queued");
    }
  });
  return Promise.all([...form.querySelectorAll(".upload")].map((block) => setUpBlock(block, state, ui)));
}

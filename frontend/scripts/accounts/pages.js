// The accounts pages: sign-up, sign-in (with passkey autofill), recovery, enrolment,
// adding a passkey and renewing recovery codes. Without this script the pages explain
// that passkeys need JavaScript. Each form's data-next is where the person was going
// (the server checked it is a path of this site): every flow ends there.
import {
  ApiError,
  conditionalMediationAvailable,
  credentialJSON,
  creationOptions,
  passkeysSupported,
  postJSON,
  requestOptions,
} from "./passkeys.js";

const messages = document.getElementById("passkey-messages")?.dataset || {};
const text = (key) => messages[key] || messages.failed || "";

// One message, or (the server refused several fields at once) a list of them, each a
// link to its input, as the error summary of a page without script shows them.
function showError(message, form, problems = []) {
  const box = document.getElementById("script-error");
  const body = document.getElementById("script-error-text");
  const list = document.getElementById("script-error-list");
  if (!box || !body) return;
  const named = problems.filter((problem) => form?.querySelector(`[name="${problem.name}"]`));
  body.textContent = named.length > 1 ? "" : message;
  body.hidden = named.length > 1;
  if (list) {
    list.replaceChildren(
      ...(named.length > 1 ? named : []).map((problem) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = `#${form.querySelector(`[name="${problem.name}"]`).id}`;
        link.textContent = problem.reason;
        item.append(link);
        return item;
      }),
    );
    list.hidden = named.length < 2;
  }
  for (const problem of named) {
    form.querySelector(`[name="${problem.name}"]`).setAttribute("aria-invalid", "true");
  }
  box.hidden = false;
  box.focus();
}

function clearError(form) {
  const box = document.getElementById("script-error");
  if (box) box.hidden = true;
  for (const input of form?.querySelectorAll("[aria-invalid]") || []) {
    input.removeAttribute("aria-invalid");
  }
}

function explain(error) {
  if (error instanceof ApiError) return error.message || text("failed");
  if (error && error.name === "NotAllowedError") return text("cancelled");
  if (error && error.name === "InvalidStateError") return text("exists");
  if (error && error.name === "SecurityError") return text("insecure");
  return text("failed");
}

function busy(form, on) {
  for (const button of form.querySelectorAll("button")) button.disabled = on;
  form.setAttribute("aria-busy", on ? "true" : "false");
}

function showCodes(codes, next) {
  const section = document.getElementById("recovery-codes");
  const list = document.getElementById("recovery-codes-list");
  if (!section || !list) {
    window.location.assign(next);
    return;
  }
  list.replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement("li");
      item.textContent = code;
      return item;
    }),
  );
  const done = document.getElementById("codes-done");
  if (done) done.href = next;
  const step = document.getElementById("sign-up-step");
  if (step) step.hidden = true;
  section.hidden = false;
  document.getElementById("recovery-codes-title")?.focus();
}

document.getElementById("print-codes")?.addEventListener("click", () => window.print());

function fields(form) {
  const data = {};
  for (const [name, value] of new FormData(form)) data[name] = String(value).trim();
  return data;
}

function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(form);
    busy(form, true);
    try {
      await action();
    } catch (error) {
      if (error && error.name === "AbortError") return;
      const problems = error instanceof ApiError ? [...error.problems] : [];
      if (error instanceof ApiError && error.field && !problems.length) {
        problems.push({ name: error.field, reason: error.message });
      }
      showError(explain(error), form, problems);
    } finally {
      busy(form, false);
    }
  });
}

async function register(optionsUrl, optionsBody, finishUrl, finishBody) {
  const options = await postJSON(optionsUrl, optionsBody, text("failed"));
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  try {
    return await postJSON(finishUrl, { ...finishBody, credential: credentialJSON(credential) }, text("failed"));
  } catch (error) {
    // A number that already has an account is told only once the passkey is made (the
    // options do not tell anyone); the server kept nothing of it, so ask the
    // authenticator to forget it rather than offer it at every sign-in (WebAuthn Signal API).
    const signal = window.PublicKeyCredential && PublicKeyCredential.signalUnknownCredential;
    if (error instanceof ApiError && error.field === "phone" && typeof signal === "function") {
      signal.call(PublicKeyCredential, { rpId: options.rp.id, credentialId: credential.id }).catch(() => {});
    }
    throw error;
  }
}

function setUpSignUp(form) {
  const next = form.dataset.next || "/";
  onSubmit(form, async () => {
    const data = fields(form);
    for (const optional of ["email", "citizen_id", "address"]) if (!data[optional]) delete data[optional];
    const result = await register(
      "/api/auth/passkeys/register/options", data, "/api/auth/passkeys/register", { next },
    );
    showCodes(result.recovery_codes, result.next);
  });
}

function setUpSignIn(form) {
  const next = form.dataset.next || "/";
  let pending = null;
  let controller = null;

  async function finish(credential) {
    const result = await postJSON(
      "/api/auth/passkeys/login", { credential: credentialJSON(credential), next }, text("failed"),
    );
    window.location.assign(result.next);
  }

  // The background request behind passkey autofill: nobody asked for it, so its own
  // failures (refused, aborted by the button, no network for the options) stay
  // silent; the button asks again and says what went wrong. Only once the person has
  // picked a passkey from the list is a failure theirs to hear about.
  async function autofill() {
    if (!(await conditionalMediationAvailable())) return;
    controller = new AbortController();
    let credential = null;
    try {
      const options = await postJSON("/api/auth/passkeys/login/options", {}, text("failed"));
      credential = await navigator.credentials.get({
        mediation: "conditional",
        publicKey: requestOptions(options),
        signal: controller.signal,
      });
    } catch {
      return;
    }
    if (!credential) return;
    try {
      await finish(credential);
    } catch (error) {
      showError(explain(error), form);
    }
  }

  pending = autofill();
  onSubmit(form, async () => {
    if (controller) controller.abort();
    await pending;
    const options = await postJSON("/api/auth/passkeys/login/options", {}, text("failed"));
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    await finish(credential);
  });
}

function setUpAdd(form) {
  // After a recovery code the person was on their way somewhere: go on there.
  const next = form.dataset.next && form.dataset.next !== "/" ? form.dataset.next : "";
  onSubmit(form, async () => {
    const { name } = fields(form);
    await register("/api/account/passkeys/options", {}, "/api/account/passkeys", name ? { name } : {});
    window.location.assign(next || "/tai-khoan/thiet-bi?xong=them-khoa");
  });
}

function setUpRenewCodes(form) {
  onSubmit(form, async () => {
    if (!window.confirm(text("renew"))) return;
    const result = await postJSON("/api/account/recovery-codes", {}, text("failed"));
    showCodes(result.codes, "/tai-khoan/thiet-bi");
  });
}

function setUpRecovery(form) {
  const next = form.dataset.next || "/";
  onSubmit(form, async () => {
    const result = await postJSON("/api/auth/recovery", { ...fields(form), next }, text("failed"));
    window.location.assign(result.next);
  });
}

function setUpEnrol(form) {
  const token = form.dataset.token;
  onSubmit(form, async () => {
    const result = await register(
      "/api/auth/enrolment/options", { token }, "/api/auth/enrolment", { token },
    );
    if (result.recovery_codes.length) showCodes(result.recovery_codes, result.next);
    else window.location.assign(result.next);
  });
}

const setUps = {
  "sign-up": setUpSignUp,
  "sign-in": setUpSignIn,
  add: setUpAdd,
  enrol: setUpEnrol,
  "renew-codes": setUpRenewCodes,
  recovery: setUpRecovery,
};

for (const form of document.querySelectorAll("form[data-passkey]")) {
  const kind = form.dataset.passkey;
  const needsPasskeys = kind !== "recovery" && kind !== "renew-codes";
  // The forms are laid out from the first paint (class js-only: only a browser without
  // JavaScript hides them), so nothing moves when this script runs late; their buttons
  // are disabled until now so that nothing is sent as a plain GET with the fields in
  // its address. A browser without passkeys loses them, for the explanation.
  if (needsPasskeys && !passkeysSupported()) {
    form.hidden = true;
    document.getElementById("no-passkeys")?.removeAttribute("hidden");
    continue;
  }
  setUps[kind]?.(form);
  busy(form, false);
}

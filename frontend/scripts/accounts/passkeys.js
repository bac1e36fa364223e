// WebAuthn in the browser: the JSON forms of options and credentials (WebAuthn L3),
// with fallbacks for browsers that lack parse*FromJSON() or toJSON().

export function passkeysSupported() {
  return typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials);
}

export async function conditionalMediationAvailable() {
  const check = window.PublicKeyCredential && PublicKeyCredential.isConditionalMediationAvailable;
  if (typeof check !== "function") return false;
  try {
    return await check.call(PublicKeyCredential);
  } catch {
    return false;
  }
}

function toBuffer(value) {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0)).buffer;
}

function toBase64url(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const descriptors = (list) => (list || []).map((item) => ({ ...item, id: toBuffer(item.id) }));

export function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: toBuffer(json.challenge),
    user: { ...json.user, id: toBuffer(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

export function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: toBuffer(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  };
}

export function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") {
    try {
      return credential.toJSON();
    } catch {
      // Some early implementations throw: build it by hand below.
    }
  }
  const response = credential.response;
  const json = {
    clientDataJSON: toBase64url(response.clientDataJSON),
  };
  if (response.attestationObject) {
    json.attestationObject = toBase64url(response.attestationObject);
    if (typeof response.getTransports === "function") json.transports = response.getTransports();
  } else {
    json.authenticatorData = toBase64url(response.authenticatorData);
    json.signature = toBase64url(response.signature);
    if (response.userHandle) json.userHandle = toBase64url(response.userHandle);
  }
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: json,
  };
}

function csrfToken() {
  // On https the cookie is "__Host-csrftoken" (no other site can set it); prefer it
  // over a plain "csrftoken", which only plain http uses.
  const match =
    document.cookie.match(/(?:^|;\s*)__Host-csrftoken=([^;]+)/) ||
    document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  /** ``problems``: every field the server refused, as [{name, reason}] (problem details). */
  constructor(message, field, problems = []) {
    super(message);
    this.field = field;
    this.problems = problems;
  }
}

/** POST JSON with the CSRF header; the server's error message (in the page's language) on failure. */
export async function postJSON(url, body, fallbackMessage) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "x-csrftoken": csrfToken(),
      },
      body: JSON.stringify(body || {}),
    });
  } catch {
    throw new ApiError(fallbackMessage);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error;
    const problems = (data && Array.isArray(data.invalid_params) && data.invalid_params) || [];
    throw new ApiError((error && error.message) || fallbackMessage, error && error.field, problems);
  }
  return data;
}

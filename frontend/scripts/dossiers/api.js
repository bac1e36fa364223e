// Talking to the dossiers API from the pages: the CSRF header, JSON in and out, and
// a clear difference between "the server said no" and "no network".

export class NetworkError extends Error {}

export function csrfToken() {
  // On https the cookie is "__Host-csrftoken" (no other site can set it); prefer it
  // over a plain "csrftoken", which only plain http uses.
  const match =
    document.cookie.match(/(?:^|;\s*)__Host-csrftoken=([^;]+)/) ||
    document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// { status, data } for any answer of the server; NetworkError when none came.
export async function sendJSON(method, url, body, options = {}) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      keepalive: Boolean(options.keepalive),
      headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(String(error));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { status: response.status, data };
}

export function errorOf(data) {
  return (data && data.error) || { message: "", field: null };
}

// Every field's problem of a refusal (problem details' invalid_params), each as
// { field, message }; the one of the legacy error member when there is no list.
export function problemsOf(data) {
  const params = data && data.invalid_params;
  if (Array.isArray(params) && params.length) {
    return params.map((param) => ({ field: param.name, message: param.reason }));
  }
  const error = errorOf(data);
  return error.field ? [error] : [];
}

// What scanned text may open: only addresses of this deployment and procedure codes.
// Anything else is shown as text, never followed (the server applies the same rule
// to what is typed in the form).
const PROCEDURE_CODE = /^\d{1,2}\.\d{6}$/;

export function targetFor(text, origin) {
  const value = text.trim();
  if (!value) return null;
  if (PROCEDURE_CODE.test(value)) return `/p/${value}`;
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.origin !== origin || /[\\\u0000-\u001f]/.test(value)) return null;
  return url.pathname + url.search;
}

// Photos are made smaller in the browser before they travel over a slow network
// (dossier documents, feedback photos):
// at most 1600 px on the long side, JPEG quality 0.8. PDFs, HEIC photos (most
// browsers cannot decode them; the server does) and photos already that small are
// sent as they are.

const LONG_SIDE = 1600;
const QUALITY = 0.8;
const SENDABLE = /^(image\/(jpeg|png|heic|heif)|application\/pdf)$/;
const EXTENSION = /\.(jpe?g|png|heic|heif|pdf)$/i;

export function sendable(file) {
  return SENDABLE.test(file.type) || (!file.type && EXTENSION.test(file.name));
}

function jpegName(name) {
  const stem = name.replace(/\.[A-Za-z0-9]{1,5}$/, "") || "anh";
  return `${stem}.jpg`;
}

async function encode(bitmap, width, height) {
  if (typeof OffscreenCanvas === "function") {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0, width, height);
    return canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
}

// The file to send: a smaller JPEG when that helps, else the original. Another kind of
// image (WebP, GIF) is turned into a JPEG; null when the file cannot be sent at all.
export async function prepare(file) {
  const other = file.type.startsWith("image/") && !sendable(file);
  if (!other && !/^image\/(jpeg|png)$/.test(file.type)) return sendable(file) ? file : null;
  if (typeof createImageBitmap !== "function") return other ? null : file;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return other ? null : file;
  }
  try {
    const long = Math.max(bitmap.width, bitmap.height);
    if (long <= LONG_SIDE && !other) return file;
    const scale = Math.min(1, LONG_SIDE / long);
    const blob = await encode(bitmap, Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    if (!blob || (!other && blob.size >= file.size)) return other ? null : file;
    return new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: Date.now() });
  } catch {
    return other ? null : file;
  } finally {
    bitmap.close?.();
  }
}

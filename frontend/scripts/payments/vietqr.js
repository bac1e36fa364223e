// A bank transfer's page on the phone that pays: copy each detail into the banking
// app, and share the QR picture (to "Save image" on an iPhone, or to a chat). Each
// button shows only where the browser can do it; without this file the values select
// whole at a tap and "Lưu ảnh mã QR" is a plain download link.

const COPIED_FOR_MS = 2000;

function setUpCopy(box) {
  if (!navigator.clipboard) return; // an older browser, or a page not over https
  const status = document.getElementById("copy-status");
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
      } catch {
        return; // refused (no permission): the value can still be selected by hand
      }
      button.textContent = box.dataset.copied;
      if (status) status.textContent = `${box.dataset.copied}: ${button.dataset.copy}`;
      setTimeout(() => {
        button.textContent = label;
      }, COPIED_FOR_MS);
    });
  }
}

function setUpShare(box) {
  const button = document.getElementById("qr-share");
  const link = document.getElementById("qr-download");
  if (!button || !link || typeof navigator.share !== "function") return;
  let picture = null;

  // Started at the first touch, so that the picture is mostly there by the click:
  // some browsers refuse to share once the tap is too far in the past.
  function load() {
    if (picture) return picture;
    picture = fetch(link.href, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.blob() : null))
      .then((blob) => blob && new File([blob], link.getAttribute("download"), { type: "image/png" }))
      .catch(() => null);
    return picture;
  }

  button.hidden = false;
  button.addEventListener("pointerdown", load, { once: true });
  button.addEventListener("click", async () => {
    const file = await load();
    const title = button.dataset.title;
    const files = file && navigator.canShare && navigator.canShare({ files: [file] }) ? [file] : null;
    try {
      await navigator.share(files ? { files, title } : { title, url: window.location.href });
    } catch (error) {
      // The picture took longer than the tap lasts: it is ready for the next one.
      if (error.name === "NotAllowedError") button.textContent = box.dataset.again;
    }
  });
}

const box = document.getElementById("vietqr");
if (box) {
  setUpCopy(box);
  setUpShare(box);
}

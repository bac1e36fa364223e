// The in-app scanner: live camera, a photo, or the code typed in the form (which
// works without this file). Scanned addresses of this site open; others are shown.
// The reader and the address check are fetched on the first scan, not with the page:
// on a slow network every request before the first paint delays it.

const SCAN_INTERVAL_MS = 250;
const section = document.getElementById("scanner");

function setUp() {
  const messages = section.dataset;
  const video = document.getElementById("scanner-video");
  const status = document.getElementById("scanner-status");
  const foreign = document.getElementById("scanner-foreign");
  const foreignText = document.getElementById("scanner-foreign-text");
  const startButton = document.getElementById("scanner-start");
  const photo = document.getElementById("scanner-photo");
  let detector = null;
  let targetFor = null;
  let stream = null;
  let timer = null;

  async function getDetector() {
    if (!detector) {
      status.textContent = messages.msgLoading;
      detector = Promise.all([import("./decoder.js"), import("./target.js")]).then(
        ([decoder, target]) => {
          targetFor = target.targetFor;
          return decoder.createDetector({
            moduleUrl: messages.zxingModule,
            wasmUrl: messages.zxingWasm,
          });
        },
      ).catch((error) => {
        detector = null; // no network and nothing kept: the next tap tries again
        throw error;
      });
    }
    return detector;
  }

  function stop() {
    clearTimeout(timer);
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
  }

  function handle(text) {
    const target = targetFor(text, messages.origin);
    if (target) {
      stop();
      status.textContent = messages.msgOpening;
      location.assign(target);
      return true;
    }
    foreignText.textContent = text;
    foreign.hidden = false;
    return false;
  }

  async function scanLoop(read) {
    try {
      const text = video.readyState >= 2 ? await read(video) : null;
      if (text && handle(text)) return;
    } catch {
      // A frame that cannot be read: try the next one.
    }
    if (stream) timer = setTimeout(() => scanLoop(read), SCAN_INTERVAL_MS);
  }

  startButton.addEventListener("click", async () => {
    if (stream) return;
    foreign.hidden = true;
    status.textContent = messages.msgStarting;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch {
      status.textContent = messages.msgNoCamera;
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    let read;
    try {
      read = await getDetector();
    } catch {
      stop();
      status.textContent = messages.msgNoReader;
      return;
    }
    status.textContent = messages.msgScanning;
    scanLoop(read);
  });

  photo.addEventListener("change", async () => {
    const file = photo.files && photo.files[0];
    if (!file) return;
    foreign.hidden = true;
    let read;
    try {
      read = await getDetector();
    } catch {
      status.textContent = messages.msgNoReader;
      photo.value = "";
      return;
    }
    try {
      const image = await createImageBitmap(file);
      const text = await read(image);
      if (text) handle(text);
      else status.textContent = messages.msgNoCode;
    } catch {
      status.textContent = messages.msgNoCode;
    }
    photo.value = "";
  });

  window.addEventListener("pagehide", stop);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) startButton.hidden = true;
  // Shown where it was laid out from the start (invisible): nothing moves.
  section.removeAttribute("data-waiting");
}

if (section) setUp();

// One way to read QR codes from a video frame or an image: the browser's own
// BarcodeDetector where it reads QR codes (Android Chrome), else ZXing compiled to
// WebAssembly (iPhones, desktop Linux), hosted by us and fetched only then.

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return async (source) => {
      const codes = await detector.detect(source);
      return codes.length ? codes[0].rawValue : null;
    };
  } catch {
    return null;
  }
}

async function zxingDetector(moduleUrl, wasmUrl) {
  const zxing = await import(moduleUrl);
  zxing.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path) },
    fireImmediately: true,
  });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (source) => {
    const width = source.videoWidth || source.width;
    const height = source.videoHeight || source.height;
    if (!width || !height) return null;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(source, 0, 0, width, height);
    const results = await zxing.readBarcodes(context.getImageData(0, 0, width, height), {
      formats: ["QRCode"],
      tryHarder: true,
      maxNumberOfSymbols: 1,
    });
    const found = results.find((result) => result.isValid);
    return found ? found.text : null;
  };
}

export async function createDetector({ moduleUrl, wasmUrl }) {
  return (await nativeDetector()) || zxingDetector(moduleUrl, wasmUrl);
}

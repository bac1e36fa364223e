// The procedure page: a checklist remembered on this phone, "recently viewed",
// Web Share and print. Without this file the checkboxes still work, unremembered.
import { remember } from "./recent.js";

const article = document.getElementById("procedure");

function setUpChecklist(code) {
  const key = `motcua.checklist.${code}`;
  const boxes = [...article.querySelectorAll(".checklist input[type=checkbox]")];
  let saved = [];
  try {
    saved = JSON.parse(localStorage.getItem(key) || "[]");
  } catch {
    saved = [];
  }
  for (const box of boxes) {
    box.checked = Array.isArray(saved) && saved.includes(box.value);
    box.addEventListener("change", () => {
      const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
      try {
        if (ticked.length) localStorage.setItem(key, JSON.stringify(ticked));
        else localStorage.removeItem(key);
      } catch {
        // Storage unavailable: the ticks last as long as the page.
      }
    });
  }
}

function setUpButtons(name) {
  const share = document.getElementById("share-button");
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener("click", () => {
      navigator.share({ title: name, url: location.href }).catch(() => {});
    });
  }
  const print = document.getElementById("print-button");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", () => window.print());
  }
  for (const element of article.querySelectorAll("span.js-only")) element.hidden = false;
}

if (article) {
  const { code, name } = article.dataset;
  setUpChecklist(code);
  setUpButtons(name);
  remember(code, name);
}

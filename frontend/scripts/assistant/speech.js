// A microphone button for the assistant's question, only where the browser has its own
// speech recognition (Chrome on Android, Safari): the words said fill the field, and the
// person checks them and presses "Hỏi". Without it the button stays hidden.
const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
const form = document.getElementById("ask-form");
const field = document.getElementById("q");
const button = document.getElementById("speak");
const status = document.getElementById("speech-status");

if (Recognition && form && field && button && status) {
  let listening = null;
  button.hidden = false;
  button.addEventListener("click", () => {
    if (listening) {
      listening.stop();
      return;
    }
    const recognition = new Recognition();
    recognition.lang = form.dataset.speechLang || "vi-VN";
    recognition.interimResults = true;
    recognition.maxAlternatives = 1;
    let failed = false;
    recognition.addEventListener("result", (event) => {
      const said = Array.from(event.results, (result) => result[0].transcript).join("");
      field.value = said.slice(0, field.maxLength > 0 ? field.maxLength : 300);
    });
    recognition.addEventListener("error", () => {
      failed = true;
      status.textContent = button.dataset.failed;
    });
    recognition.addEventListener("end", () => {
      listening = null;
      button.setAttribute("aria-pressed", "false");
      if (!failed) status.textContent = field.value ? button.dataset.done : button.dataset.failed;
      field.focus();
    });
    listening = recognition;
    button.setAttribute("aria-pressed", "true");
    status.textContent = button.dataset.listening;
    recognition.start();
  });
}

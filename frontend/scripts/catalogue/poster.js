// The poster page: a print button (the page prints on A4 without it too).
const button = document.getElementById("print-button");
if (button) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

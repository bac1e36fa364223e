// The officials' console: conveniences only, every page works without this file.
// - the attachment viewer turns PDF pages without reloading (buttons and ← →);
// - a confirmation before irreversible steps (refusal, the leader's decision);
// - the error summary takes focus, so a screen reader announces it;
// - counter entry hides questions that do not apply to the answers given.

function setUpConfirmations() {
  for (const form of document.querySelectorAll(".console form")) {
    form.addEventListener("submit", (event) => {
      const message = event.submitter?.dataset.confirm || form.dataset.confirm;
      if (message && !window.confirm(message)) event.preventDefault();
    });
  }
}

function setUpViewer() {
  const viewer = document.getElementById("xem-tep");
  const image = document.getElementById("viewer-image");
  if (!viewer || !image || viewer.dataset.pdf !== "true") return;
  const pages = Number(viewer.dataset.pages) || 1;
  const position = document.getElementById("viewer-position");
  let page = Number(viewer.dataset.page) || 1;

  // The server's links become buttons that swap the page image in place.
  const makeButton = (id, step) => {
    const old = document.getElementById(id);
    if (!old) return null;
    const button = document.createElement("button");
    button.type = "button";
    button.id = id;
    button.className = old.className;
    button.textContent = old.textContent;
    button.addEventListener("click", () => show(page + step));
    old.replaceWith(button);
    return button;
  };
  const previous = makeButton("viewer-prev", -1);
  const next = makeButton("viewer-next", 1);

  function show(target) {
    if (target < 1 || target > pages || target === page) return;
    page = target;
    image.src = viewer.dataset.src + page;
    image.alt = (viewer.dataset.alt || "").replace("999999", String(page));
    if (position) position.textContent = (viewer.dataset.position || "").replace("999999", String(page));
    if (previous) previous.disabled = page <= 1;
    if (next) next.disabled = page >= pages;
    // The address follows, so a reload or a shared link opens the same page.
    history.replaceState(null, "", viewer.dataset.link + page + "#xem-tep");
  }

  if (previous) previous.disabled = page <= 1;
  if (next) next.disabled = page >= pages;
  viewer.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowLeft" || event.key === "PageUp") {
      show(page - 1);
      event.preventDefault();
    } else if (event.key === "ArrowRight" || event.key === "PageDown") {
      show(page + 1);
      event.preventDefault();
    }
  });
}

function focusErrors() {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
}

function setUpConditions() {
  const questions = [...document.querySelectorAll("[data-when-field]")];
  if (!questions.length) return;
  const form = questions[0].closest("form");
  const update = () => {
    for (const question of questions) {
      const chosen = form.querySelector(`[name="${CSS.escape(question.dataset.whenField)}"]:checked`);
      const select = form.querySelector(`select[name="${CSS.escape(question.dataset.whenField)}"]`);
      const value = chosen ? chosen.value : select ? select.value : "";
      question.hidden = value !== question.dataset.whenEquals;
    }
  };
  form.addEventListener("change", update);
  update();
}

setUpConfirmations();
setUpViewer();
setUpConditions();
focusErrors();

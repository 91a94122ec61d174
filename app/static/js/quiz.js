// Quiz page: save each answer as it changes, keep the progress indicator current, and show one
// question per screen on small screens. Without JavaScript the form still works: its buttons post
// every answer ("save" or "submit").
(() => {
  const form = document.getElementById("quiz-form");
  if (!form) {
    return;
  }
  const saveUrl = form.dataset.saveUrl;
  const token = (form.querySelector("input[name=csrf_token]") || {}).value || "";
  const status = document.getElementById("save-status");
  const progress = document.getElementById("quiz-progress");
  const progressText = document.getElementById("quiz-progress-text");
  const items = Array.from(form.querySelectorAll(".qz-item"));
  const total = items.length;

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));

  // Timed attempts: count down from the seconds the server said were left (not the device's clock);
  // at zero, reload: the server submits the attempt with what was saved and shows the result.
  const deadline = document.getElementById("quiz-deadline");
  if (deadline) {
    const countdown = document.getElementById("quiz-countdown");
    const end = Date.now() + Number(deadline.dataset.remaining) * 1000;
    const pad = (n) => String(n).padStart(2, "0");
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      const hours = Math.floor(left / 3600);
      const clock = (hours ? hours + ":" : "") + pad(Math.floor((left % 3600) / 60)) + ":" + pad(left % 60);
      countdown.textContent = fill(deadline.dataset.template, { time: clock });
      countdown.classList.toggle("qz-urgent", left <= 60);
      if (left === 0) {
        countdown.textContent = deadline.dataset.expired;
        window.clearInterval(timer);
        window.setTimeout(() => window.location.reload(), 6000);  // after the server's grace period
      }
    };
    const timer = window.setInterval(tick, 1000);
    tick();
  }
  const isAnswered = (item) => item.querySelector("input:checked") !== null;

  function showProgress() {
    const answered = items.filter(isAnswered).length;
    progress.value = answered;
    progressText.textContent = fill(progressText.dataset.template, { n: answered, total });
  }

  function setStatus(state, detail) {
    status.textContent = status.dataset[state] + (detail ? " " + detail : "");
    status.classList.toggle("text-danger", state === "failed");
  }

  function valueOf(fieldset) {
    const inputs = Array.from(fieldset.querySelectorAll("input"));
    const checked = inputs.filter((input) => input.checked).map((input) => input.value);
    if (inputs.some((input) => input.type === "checkbox")) {
      return checked;
    }
    return checked.length ? checked[0] : null;
  }

  // One request in flight per question; only the latest value waits behind it.
  const pending = new Map();
  const inFlight = new Set();

  async function send(questionId) {
    if (inFlight.has(questionId) || !pending.has(questionId)) {
      return;
    }
    const value = pending.get(questionId);
    pending.delete(questionId);
    inFlight.add(questionId);
    setStatus("saving");
    try {
      const response = await fetch(saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ question: questionId, value }),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        setStatus("saved");
      } else if (response.status === 409 && data.redirect) {
        window.location.assign(data.redirect);
      } else {
        setStatus("failed", (data.errors || []).join(" "));
      }
    } catch (error) {
      setStatus("failed");
    } finally {
      inFlight.delete(questionId);
      send(questionId);
    }
  }

  form.addEventListener("change", (event) => {
    const fieldset = event.target.closest(".question");
    if (!fieldset) {
      return;
    }
    fieldset.parentElement.classList.remove("qz-missing");
    fieldset.querySelectorAll("[aria-invalid]").forEach((input) => {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    fieldset.querySelector(".qz-error")?.remove();
    showProgress();
    pending.set(fieldset.dataset.question, valueOf(fieldset));
    send(fieldset.dataset.question);
  });

  // A double click (or Enter pressed twice) sends the form once.
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
  });

  // Small screens: one question at a time, starting at the first unanswered one.
  const small = window.matchMedia("(max-width: 575.98px)");
  const pager = form.querySelector(".qz-pager");
  const pageLabel = document.getElementById("qz-page-label");
  const [previous, next] = pager.querySelectorAll("[data-step]");
  let current = Math.max(0, items.findIndex((item) => !isAnswered(item)));

  function show(index) {
    current = Math.max(0, Math.min(total - 1, index));
    items.forEach((item, i) => item.classList.toggle("qz-current", i === current));
    pageLabel.textContent = fill(pageLabel.dataset.template, { n: current + 1, total });
    previous.disabled = current === 0;
    next.disabled = current === total - 1;
  }

  function showHash() {
    const index = items.findIndex((item) => item.querySelector(".question").id === location.hash.slice(1));
    if (index >= 0) {
      show(index);
    }
  }

  function layout() {
    form.classList.toggle("qz-paged", small.matches);
    pager.hidden = !small.matches;
    if (small.matches) {
      show(current);
      showHash();
    }
  }

  pager.addEventListener("click", (event) => {
    const button = event.target.closest("[data-step]");
    if (button) {
      show(current + Number(button.dataset.step));
      items[current].querySelector("input").focus();
    }
  });
  window.addEventListener("hashchange", () => small.matches && showHash());
  small.addEventListener("change", layout);
  layout();
})();

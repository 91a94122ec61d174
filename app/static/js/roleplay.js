// Role-play pages: in-browser recording and grading autosave. Pages work without this script.
(() => {
  "use strict";

  const MAX_BYTES = 25 * 1024 * 1024;

  function pickMime() {
    const types = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
    return types.find((t) => window.MediaRecorder.isTypeSupported(t)) || "";
  }

  function extensionFor(mime) {
    if (mime.startsWith("audio/ogg")) return "ogg";
    if (mime.startsWith("audio/mp4")) return "m4a";
    return "webm";
  }

  function setupRecorder(form) {
    const box = form.querySelector(".rpl-recorder");
    const input = form.querySelector("input[type=file][name=audio]");
    if (!box || !input || !window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
    const start = box.querySelector(".rpl-record");
    const stop = box.querySelector(".rpl-stop");
    const status = box.querySelector(".rpl-record-status");
    const preview = box.querySelector(".rpl-preview");
    const labels = box.dataset;
    let recorder = null;
    let chunks = [];
    box.hidden = false;

    start.addEventListener("click", async () => {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (err) {
        status.textContent = labels.denied;
        return;
      }
      const mime = pickMime();
      recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : {});
      chunks = [];
      recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
      recorder.addEventListener("stop", () => {
        stream.getTracks().forEach((t) => t.stop());
        const type = (recorder.mimeType || mime || "audio/webm").split(";")[0];
        const blob = new Blob(chunks, { type });
        if (blob.size > MAX_BYTES) {
          status.textContent = labels.toolarge;
          return;
        }
        const file = new File([blob], "recording." + extensionFor(type), { type });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
        preview.src = URL.createObjectURL(blob);
        preview.hidden = false;
        status.textContent = labels.done;
      });
      recorder.start();
      start.disabled = true;
      stop.disabled = false;
      status.textContent = labels.recording;
    });

    stop.addEventListener("click", () => {
      if (recorder && recorder.state !== "inactive") recorder.stop();
      start.disabled = false;
      stop.disabled = true;
    });
  }

  function setupGrading(form) {
    const passMark = Number(form.dataset.pass);
    const totalEl = form.querySelector(".rpl-total-value");
    const verdictEl = form.querySelector(".rpl-verdict");
    const statusEl = form.querySelector(".rpl-autosave-status");
    const versionEl = form.querySelector("input[name=version]");
    const criteria = new Set(Array.from(form.querySelectorAll("input[type=radio][name^='level-']"), (r) => r.name));
    const url = form.dataset.autosave;
    let timer = null;
    let inflight = null;
    let stopped = false;

    function recompute() {
      const checked = form.querySelectorAll("input[type=radio][name^='level-']:checked");
      let total = 0;
      checked.forEach((r) => { total += Number(r.dataset.points); });
      totalEl.textContent = String(total);
      if (checked.length < criteria.size) verdictEl.textContent = form.dataset.labelIncomplete;
      else verdictEl.textContent = total >= passMark ? form.dataset.labelPass : form.dataset.labelFail;
    }

    async function autosave() {
      timer = null;
      if (stopped || !url) return;
      statusEl.textContent = form.dataset.labelSaving;
      const data = new FormData(form);
      data.set("action", "save");
      inflight = fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(async (response) => {
          const body = await response.json().catch(() => ({}));
          if (response.ok) {
            versionEl.value = String(body.version);
            statusEl.textContent = form.dataset.labelSaved;
          } else {
            if (response.status === 409) stopped = true;
            const by = body.conflict ? "（" + body.conflict.by + "）" : "";
            statusEl.textContent = ((body.errors && body.errors[0]) || form.dataset.labelFailed) + by;
            statusEl.classList.add("text-danger");
          }
        })
        .catch(() => { statusEl.textContent = form.dataset.labelFailed; })
        .finally(() => { inflight = null; });
    }

    function schedule() {
      recompute();
      if (!url || stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(autosave, 1500);
    }

    form.addEventListener("change", schedule);
    // A level chosen for a criterion flagged as missing: it is no longer invalid.
    form.addEventListener("change", (e) => {
      const group = e.target.matches("input[type=radio]") ? e.target.closest("fieldset") : null;
      if (!group) return;
      group.querySelectorAll("[aria-invalid]").forEach((r) => { r.removeAttribute("aria-invalid"); r.removeAttribute("aria-describedby"); });
      const message = group.querySelector(".rpl-level-error");
      if (message) message.remove();
    });
    form.addEventListener("input", (e) => { if (e.target.tagName === "TEXTAREA") schedule(); });
    form.addEventListener("submit", (e) => {
      if (timer) { clearTimeout(timer); timer = null; }
      if (inflight) {
        e.preventDefault();
        const submitter = e.submitter;
        inflight.finally(() => form.requestSubmit(submitter));
      }
    });
    recompute();
  }

  document.querySelectorAll(".rpl-response-form").forEach(setupRecorder);
  document.querySelectorAll(".rpl-grade-form").forEach(setupGrading);
})();

// A card's background is folded on a phone (the task and the answer box come first) and open on a wide screen.
(() => {
  if (window.matchMedia && window.matchMedia("(min-width: 992px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((details) => { details.open = true; });
  }
})();

// Live class mode: a countdown from the card's minutes, and tickable observation points (ticks stay on this device).
(() => {
  "use strict";
  document.querySelectorAll(".rpl-timer").forEach((box) => {
    const clock = box.querySelector(".rpl-timer-clock");
    const toggle = box.querySelector(".rpl-timer-toggle");
    const reset = box.querySelector(".rpl-timer-reset");
    const status = box.querySelector(".rpl-timer-status");
    const total = Number(box.dataset.minutes) * 60;
    let left = total;
    let tick = null;
    const show = () => {
      const m = Math.floor(Math.abs(left) / 60);
      const s = Math.abs(left) % 60;
      clock.textContent = (left < 0 ? "-" : "") + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    };
    const stop = () => { clearInterval(tick); tick = null; toggle.textContent = box.dataset.labelStart; };
    toggle.parentElement.hidden = false;
    toggle.addEventListener("click", () => {
      if (tick) { stop(); return; }
      toggle.textContent = box.dataset.labelPause;
      tick = setInterval(() => {
        left -= 1;
        show();
        if (left === 0) { status.textContent = box.dataset.labelOver; clock.classList.add("text-danger"); }
      }, 1000);
    });
    reset.addEventListener("click", () => { stop(); left = total; status.textContent = ""; clock.classList.remove("text-danger"); show(); });
  });
  document.querySelectorAll(".rpl-observe").forEach((list) => {
    list.querySelectorAll("li").forEach((item, i) => {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "form-check-input me-2 rpl-observe-tick";
      box.id = "observe-" + i;
      box.setAttribute("aria-label", list.dataset.labelTick + "：" + item.textContent.trim());
      item.prepend(box);
      item.classList.add("rpl-observe-item");
    });
  });
})();

// Grading assistant: a hint becomes a criterion comment with one tap.
(() => {
  "use strict";
  document.querySelectorAll(".rpl-hint-to-comment").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      const target = document.getElementById(button.dataset.target);
      if (!target) return;
      const text = button.dataset.comment;
      target.value = target.value.trim() ? target.value.trim() + "\n" + text : text;
      target.dispatchEvent(new Event("input", { bubbles: true }));
      target.focus();
      button.setAttribute("aria-pressed", "true");
    });
  });
})();

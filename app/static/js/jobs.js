// Job page: poll the job's JSON status, move the progress bar, announce politely (on state changes and
// every quarter of the way, not on every poll), and reload once the job is over to show its outcome.
(() => {
  const box = document.getElementById("job");
  if (!box || box.dataset.finished === "1") {
    return;
  }
  const bar = document.getElementById("job-progress");
  const percent = document.getElementById("job-percent");
  const count = document.getElementById("job-count");
  const state = document.getElementById("job-state");
  const announce = document.getElementById("job-announce");
  const delay = Number(box.dataset.pollMs) || 1500;
  let lastState = box.dataset.state;
  let lastQuarter = -1;
  const say = (text) => {
    announce.textContent = text;
  };
  const poll = async () => {
    let status;
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      status = await response.json();
    } catch (error) {
      window.setTimeout(poll, delay * 4); // offline or a restart: try again, more slowly
      return;
    }
    bar.value = status.percent;
    bar.textContent = `${status.percent}%`;
    percent.textContent = `${status.percent}%`;
    if (status.total) {
      count.textContent = `${status.progress} / ${status.total}`;
    }
    state.textContent = status.state_label;
    if (status.finished) {
      say(status.state === "done" ? box.dataset.textDone : box.dataset.textFailed);
      window.setTimeout(() => window.location.reload(), 600);
      return;
    }
    const quarter = Math.floor(status.percent / 25);
    if (status.state !== lastState || quarter !== lastQuarter) {
      say(`${status.state_label} ${box.dataset.labelProgress} ${status.percent}%`);
      lastState = status.state;
      lastQuarter = quarter;
    }
    window.setTimeout(poll, delay);
  };
  window.setTimeout(poll, delay);
})();

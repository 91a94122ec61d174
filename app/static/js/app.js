// Small progressive enhancements; the pages work without JavaScript.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Tables in course content: on a narrow screen a table scrolls inside its own box (focusable while it
// scrolls, so it can be scrolled from the keyboard) instead of widening the page, and a table of four or
// more columns reflows as one card per row, each value under its column's heading (css/app.css).
(() => {
  const boxes = [];
  document.querySelectorAll(".content table").forEach((table) => {
    const headings = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent.trim());
    if (headings.length >= 4) {
      table.classList.add("table-reflow");
      // display: block takes the table semantics away in some browsers: state them
      table.setAttribute("role", "table");
      table.querySelectorAll("tr").forEach((row) => row.setAttribute("role", "row"));
      table.querySelectorAll("thead th").forEach((th) => th.setAttribute("role", "columnheader"));
      table.querySelectorAll("tbody tr").forEach((row) => {
        Array.from(row.cells).forEach((cell, index) => {
          cell.setAttribute("role", "cell");
          if (headings[index]) cell.dataset.label = headings[index];
        });
      });
    }
    const box = document.createElement("div");
    box.className = "table-scroll";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
    boxes.push(box);
  });
  const mark = () => boxes.forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  });
  mark();
  window.addEventListener("resize", mark);
})();

// The pipeline board: drag a deal onto another stage. The drop fills in and sends the card's
// own "Move to" form (htmx posts it and swaps the board), so dragging and the keyboard's way
// take the same path, CSRF token included.
"use strict";

function closest(target, selector) {
  return target instanceof Element ? target.closest(selector) : null;
}

document.addEventListener("dragstart", (event) => {
  const card = closest(event.target, ".deal[draggable=true]");
  if (card) {
    event.dataTransfer.setData("text/plain", card.id);
    event.dataTransfer.effectAllowed = "move";
  }
});

document.addEventListener("dragover", (event) => {
  const column = closest(event.target, ".column[data-open=true]");
  if (column) {
    event.preventDefault();
  }
});

document.addEventListener("drop", (event) => {
  const column = closest(event.target, ".column[data-open=true]");
  const card = document.getElementById(event.dataTransfer.getData("text/plain"));
  const form = card ? card.querySelector("form.move") : null;
  const select = form ? form.querySelector("select[name=stage]") : null;
  if (!column || !select) {
    return;
  }
  event.preventDefault();
  const stage = column.dataset.stage;
  if (Array.from(select.options).some((option) => option.value === stage)) {
    select.value = stage;
    form.requestSubmit();
  }
});

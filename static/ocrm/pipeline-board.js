// The pipeline board: cards dragged between stage columns (SortableJS) post the move with the
// version the board showed; a refused move (someone else moved it, closed) puts the card back.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var board = document.getElementById("pipeline-board");
  if (!board || typeof Sortable === "undefined" || board.dataset.mayMove !== "1") { return; }
  var message = document.getElementById("pipeline-message");

  function recount(from, to) {
    // The badges count every card of the column (some are not drawn): one left, one arrived.
    [[from, -1], [to, 1]].forEach(function (pair) {
      var badge = pair[0].closest(".pipeline-column").querySelector(".pipeline-count");
      badge.textContent = parseInt(badge.textContent, 10) + pair[1];
    });
  }

  function say(text) {
    message.textContent = text;
    message.classList.toggle("d-none", !text);
  }

  function moved(event) {
    var card = event.item;
    if (event.from === event.to) { return; }
    var body = new URLSearchParams({stage: event.to.dataset.stage, version: card.dataset.version});
    card.classList.add("opacity-50");
    // The move URL of card 0, drawn once for the board: /…/0/move/ -> /…/<id>/move/.
    fetch(board.dataset.moveUrl.replace("/0/move/", "/" + card.dataset.id + "/move/"), {
      method: "POST",
      headers: {"X-CSRFToken": board.dataset.csrf, "Content-Type": "application/x-www-form-urlencoded"},
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {ok: false}; });
    }).then(function (answer) {
      card.classList.remove("opacity-50");
      if (!answer.ok) {
        event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
        say(answer.error || board.dataset.error);
        return;
      } else {
        say("");
        card.dataset.version = answer.version;
        card.querySelector(".pipeline-probability").textContent = answer.probability;
        if (answer.status !== "open") { card.classList.add("pipeline-closed"); }
      }
      recount(event.from, event.to);
    }).catch(function () {
      card.classList.remove("opacity-50");
      event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
      say(board.dataset.error);
    });
  }

  board.querySelectorAll(".pipeline-cards").forEach(function (list) {
    var closed = list.parentElement.dataset.outcome !== "open";
    Sortable.create(list, {group: "pipeline", animation: 120, forceFallback: true, sort: !closed, filter: ".pipeline-closed", onEnd: moved});
  });
});

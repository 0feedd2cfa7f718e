// The language menu submits as soon as a language is picked (a file, not an inline handler:
// the Content-Security-Policy allows no inline script).
document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
  select.addEventListener("change", function () {
    select.form.submit();
  });
});

// Progressive enhancement only: every page works without JavaScript.
// Copy buttons: <button class="copy" data-copy="ELEMENT_ID">.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.innerText.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
  const label = button.textContent;
  button.textContent = "Copied";
  button.setAttribute("aria-live", "polite");
  setTimeout(() => { button.textContent = label; }, 1500);
});

// Color props: a color picker beside the text box (the text is what the form sends; without
// JavaScript the picker stays hidden and the text box works alone).
const hexColor = (text) => {
  const value = (text || "").trim().toLowerCase();
  if (/^#[0-9a-f]{6}$/.test(value)) return value;
  if (/^#[0-9a-f]{3}$/.test(value)) return "#" + [...value.slice(1)].map((c) => c + c).join("");
  if (/^#[0-9a-f]{8}$/.test(value)) return value.slice(0, 7);
  return null;
};
document.querySelectorAll("input[type=color][data-color-for]").forEach((picker) => {
  const text = document.getElementById(picker.dataset.colorFor);
  if (!text) return;
  picker.hidden = false;
  picker.addEventListener("input", () => {
    text.value = picker.value;
    text.dispatchEvent(new Event("input", { bubbles: true }));
  });
  text.addEventListener("input", () => {
    const value = hexColor(text.value);
    if (value) picker.value = value;
  });
});

// Filters apply as they change (the Apply button stays for visitors without JavaScript); the
// search box waits for Enter like any search.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
  form.addEventListener("change", (event) => {
    if (event.target.matches("select, input[type=checkbox], input[type=radio]")) form.requestSubmit();
  });
});

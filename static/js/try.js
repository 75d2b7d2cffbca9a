// "Try it" on a template page: the preview follows what the visitor types. Progressive enhancement:
// without this script the form posts and the page comes back with the render.
//
// - Typing schedules a render 450 ms after the last keystroke (a change of a select, color or checkbox
//   renders at once). The form posts to /<user>/<name>/try asking for JSON; an older answer arriving
//   after a newer request is dropped, and a request still in flight is aborted by the next one.
// - The render cache makes repeats free, so going back to earlier text costs nothing.
// - On 429 the status says when the next render is possible and retries then.
// - The code snippets and the signed URL follow the props.
// - Video templates: the preview is one frame; "Render video" starts the MP4 as a job and polls its
//   status (JSON from the site, with the session) until it is done, then plays it.
(() => {
  "use strict";
  const form = document.querySelector("form.try-form[data-live]");
  if (!form) return;

  const DEBOUNCE_MS = 450;
  const POLL_MS = 800;
  const status = document.getElementById("try-status");
  const preview = document.getElementById("try-preview");
  const previewVideo = document.getElementById("preview-video");
  const caption = document.getElementById("try-caption");
  const videoButton = document.getElementById("render-video");
  let timer = null;
  let inFlight = null;
  let sequence = 0;

  const say = (text, kind) => {
    status.textContent = text;
    status.dataset.kind = kind || "";
  };

  const fieldErrors = (errors) => {
    form.querySelectorAll("[data-error-for]").forEach((node) => {
      const message = (errors && errors[node.dataset.errorFor]) || "";
      node.textContent = message;
      const field = node.closest(".field");
      field.classList.toggle("has-error", Boolean(message));
      // The field says it is invalid and is described by its message, as the server-rendered page does.
      const input = field.querySelector("input:not([type=color]), select, textarea");
      if (!input) return;
      const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== node.id);
      if (message) {
        input.setAttribute("aria-invalid", "true");
        ids.push(node.id);
      } else {
        input.removeAttribute("aria-invalid");
      }
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    });
  };

  const setCode = (id, text) => {
    const node = document.getElementById(id);
    if (node && typeof text === "string") node.querySelector("code").textContent = text;
  };

  const showImage = (url, data) =>
    new Promise((resolve, reject) => {
      // Load first, then swap: the old picture stays until the new one can be shown.
      const next = new Image();
      next.onload = () => {
        preview.src = url;
        preview.hidden = false;
        preview.alt = "Your render";
        if (previewVideo) {
          previewVideo.pause();
          previewVideo.hidden = true;
        }
        caption.textContent = data.stillAt !== null && data.stillAt !== undefined
          ? `Your frame at ${data.stillAt} s · `
          : "Your render · ";
        const link = document.createElement("a");
        link.href = url;
        link.download = "";
        link.id = "try-download";
        link.textContent = "download PNG";
        caption.appendChild(link);
        resolve();
      };
      next.onerror = () => reject(new Error("The image did not load."));
      next.src = url;
    });

  async function render() {
    const mine = ++sequence;
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    form.setAttribute("aria-busy", "true");
    say("Rendering…", "busy");
    const started = performance.now();
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: inFlight.signal,
      });
    } catch (error) {
      if (error.name === "AbortError") return;
      if (mine === sequence) say("Could not reach the server. Check your connection.", "error");
      form.removeAttribute("aria-busy");
      return;
    }
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = { error: { message: `The server answered ${response.status}.` } };
    }
    if (mine !== sequence) return; // a newer request owns the preview now
    form.removeAttribute("aria-busy");
    if (!response.ok) {
      const error = data.error || {};
      fieldErrors(error.fields || (error.prop ? { [error.prop]: error.message } : null));
      if (response.status === 429) {
        const wait = Number(response.headers.get("Retry-After") || (error.details || {}).retryAfter || 10);
        say(`${error.message || "Too many renders."} The preview catches up in ${wait} s.`, "error");
        clearTimeout(timer);
        timer = setTimeout(render, Math.min(wait, 3600) * 1000);
      } else {
        say(error.message || "The render failed.", "error");
      }
      return;
    }
    fieldErrors(null);
    try {
      await showImage(data.url, data);
    } catch (error) {
      say(error.message, "error");
      return;
    }
    if (mine !== sequence) return;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    say(data.cached ? `From the cache in ${seconds} s (free).` : `Rendered in ${seconds} s.`, "ok");
    const snippets = data.snippets || {};
    setCode("code-curl", snippets.curl);
    setCode("code-cli", snippets.cli);
    setCode("code-sdk", snippets.sdk);
    setCode("code-ts", snippets.typescript);
    if (data.signedUrl) setCode("code-url", data.signedUrl);
    const note = document.getElementById("snippets-note");
    if (note) note.textContent = "With the props you typed in “Try it”.";
  }

  const schedule = (delay) => {
    clearTimeout(timer);
    timer = setTimeout(render, delay);
  };

  form.addEventListener("input", (event) => {
    const immediate = event.target.matches("select, input[type=checkbox], input[type=color]");
    schedule(immediate ? 0 : DEBOUNCE_MS);
  });
  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter === videoButton) return; // handled below
    event.preventDefault();
    schedule(0);
  });

  // --- the full video, for signed-in visitors -------------------------------------------------
  if (!videoButton) return;
  const box = document.getElementById("video-job");
  const bar = document.getElementById("video-progress");
  const videoStatus = document.getElementById("video-status");
  const frames = document.getElementById("video-frames");
  const result = document.getElementById("video-result");
  const download = document.getElementById("video-download");

  const follow = async (url) => {
    for (;;) {
      let job;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(`The job status answered ${response.status}.`);
        job = await response.json();
      } catch (error) {
        videoStatus.textContent = error.message;
        videoButton.disabled = false;
        return;
      }
      bar.value = job.progress || 0;
      frames.textContent = job.totalFrames ? `${job.currentFrame} / ${job.totalFrames} frames` : "";
      if (job.status === "completed") {
        videoStatus.textContent = `Done in ${((job.duration || 0) / 1000).toFixed(1)} s.`;
        bar.value = 1;
        result.src = job.outputUrl;
        result.hidden = false;
        download.href = job.downloadUrl || job.outputUrl;
        if (job.filename) { download.setAttribute("download", job.filename); download.textContent = `Download ${job.filename}`; }
        download.hidden = false;
        videoButton.disabled = false;
        return;
      }
      if (job.status === "failed" || job.status === "cancelled") {
        videoStatus.textContent = job.error ? `Failed: ${job.error.message}` : `The job was ${job.status}.`;
        videoButton.disabled = false;
        return;
      }
      videoStatus.textContent = job.status === "queued" ? "Queued…" : "Rendering…";
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  videoButton.addEventListener("click", async (event) => {
    event.preventDefault();
    videoButton.disabled = true;
    box.hidden = false;
    result.hidden = true;
    download.hidden = true;
    bar.value = 0;
    frames.textContent = "";
    videoStatus.textContent = "Starting…";
    let response;
    let data = {};
    try {
      response = await fetch(videoButton.formAction, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      data = await response.json();
    } catch {
      videoStatus.textContent = "Could not start the render.";
      videoButton.disabled = false;
      return;
    }
    if (!response.ok) {
      const error = data.error || {};
      fieldErrors(error.fields || (error.prop ? { [error.prop]: error.message } : null));
      videoStatus.textContent = error.message || "Could not start the render.";
      videoButton.disabled = false;
      return;
    }
    follow(data.statusUrl);
  });
})();

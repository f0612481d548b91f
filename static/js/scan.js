// Filière – scan pages: keep the code input focused (USB/Bluetooth scanners type the code
// and press Enter), sound cues in batch mode, and camera scanning on phones.
// Every page works without this file: the form posts and the server redirects.
(function () {
  "use strict";

  var page = document.querySelector("[data-scan-page]");
  if (!page) {
    return;
  }
  var form = page.querySelector("[data-scan-form]");
  var input = page.querySelector("[data-scan-input]");
  var isBatch = form && form.hasAttribute("hx-post");
  var cameraActive = false;

  // --- focus -----------------------------------------------------------------------------

  function focusInput() {
    // With the camera on, a phone would pop its keyboard over the picture: leave it.
    if (input && !cameraActive) {
      input.focus({ preventScroll: true });
    }
  }

  // main has tabindex="-1" (skip link target): only elements in the tab order count.
  var INTERACTIVE =
    "a, button, input, select, textarea, label, summary, video, [contenteditable], " +
    "[tabindex]:not([tabindex=\"-1\"])";
  document.addEventListener("click", function (event) {
    if (!input || event.target.closest(INTERACTIVE)) {
      return;
    }
    var selection = window.getSelection();
    if (selection && String(selection).length > 0) {
      return; // the user is selecting text to copy it
    }
    focusInput();
  });
  window.addEventListener("pageshow", focusInput);

  // --- sound cues (Web Audio API) ------------------------------------------------------------

  var MUTE_KEY = "filiere-scan-muted";
  var audio = null;
  var muted = false;
  try {
    muted = window.localStorage.getItem(MUTE_KEY) === "1";
  } catch (error) {
    muted = false;
  }

  function tone(frequency, start, duration) {
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    var at = audio.currentTime + start;
    oscillator.type = "square";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.15, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + duration);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + duration + 0.02);
  }

  function cue(success) {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (muted || !AudioContext) {
      return;
    }
    try {
      audio = audio || new AudioContext();
      if (audio.state === "suspended") {
        audio.resume();
      }
      if (success) {
        tone(1320, 0, 0.12); // one short high beep
      } else {
        tone(220, 0, 0.14); // two low beeps
        tone(220, 0.2, 0.14);
      }
    } catch (error) {
      // No sound is not a failure: the line and the announcement tell the result.
    }
  }

  var muteButton = page.querySelector("[data-mute]");
  if (muteButton) {
    muteButton.hidden = false;
    muteButton.setAttribute("aria-pressed", muted ? "true" : "false");
    muteButton.addEventListener("click", function () {
      muted = !muted;
      muteButton.setAttribute("aria-pressed", muted ? "true" : "false");
      try {
        window.localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
      } catch (error) {
        // private browsing: the choice lasts for this page only
      }
      focusInput();
    });
  }

  // --- batch mode: each scan is posted by htmx ------------------------------------------------

  if (isBatch) {
    // htmx has read the form's values: empty the field at once, so a scanner typing the next
    // code while this one is on its way does not write after it.
    form.addEventListener("htmx:configRequest", function () {
      input.value = "";
    });
    document.addEventListener("htmx:afterSwap", function (event) {
      if (!event.detail.requestConfig || event.detail.requestConfig.elt !== form) {
        return;
      }
      var flash = document.querySelector("#scan-status [data-outcome]");
      if (flash) {
        cue(flash.getAttribute("data-outcome") === "ok");
      }
      focusInput();
    });
    document.addEventListener("htmx:responseError", function (event) {
      if (event.detail.requestConfig && event.detail.requestConfig.elt === form) {
        cue(false);
        var status = document.getElementById("scan-status");
        if (status) {
          status.innerHTML = "";
          var message = document.createElement("p");
          message.className = "scan-flash outcome-refused";
          message.textContent = page.getAttribute("data-error-text") || "Erreur";
          status.appendChild(message);
        }
        focusInput();
      }
    });
    document.addEventListener("htmx:sendError", function (event) {
      if (event.detail.requestConfig && event.detail.requestConfig.elt === form) {
        cue(false);
        var status = document.getElementById("scan-status");
        if (status) {
          status.innerHTML = "";
          var message = document.createElement("p");
          message.className = "scan-flash outcome-refused";
          message.textContent = page.getAttribute("data-offline-text") || "Hors ligne";
          status.appendChild(message);
        }
      }
    });
  }

  // --- camera scanning ----------------------------------------------------------------------

  var startButton = page.querySelector("[data-camera-start]");
  var panel = page.querySelector("[data-camera]");
  if (!form || !startButton || !panel || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return; // no camera API (or not a secure context): typing and USB scanners still work
  }
  var video = panel.querySelector("[data-camera-video]");
  var status = panel.querySelector("[data-camera-status]");
  var stopButton = panel.querySelector("[data-camera-stop]");
  var texts = {
    aim: page.getAttribute("data-camera-aim"),
    denied: page.getAttribute("data-camera-denied"),
    missing: page.getAttribute("data-camera-missing"),
    failed: page.getAttribute("data-camera-failed"),
    loading: page.getAttribute("data-camera-loading"),
  };
  var stream = null;
  var detector = null;
  var timer = null;
  var lastValue = "";
  var lastAt = 0;
  startButton.hidden = false;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) {
      return Promise.resolve(null);
    }
    return window.BarcodeDetector.getSupportedFormats()
      .then(function (formats) {
        return formats.indexOf("qr_code") === -1
          ? null
          : new window.BarcodeDetector({ formats: ["qr_code"] });
      })
      .catch(function () {
        return null;
      });
  }

  function bundledDetector() {
    // The ZXing decoder committed under static/vendor/barcode-detector/, with its WebAssembly
    // served from here too: no request leaves this site.
    var wasmUrl = new URL(form.getAttribute("data-wasm-src"), window.location.href).href;
    return loadScript(form.getAttribute("data-decoder-src")).then(function () {
      var api = window.BarcodeDetectionAPI;
      return Promise.resolve(
        api.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) {
              return path.endsWith(".wasm") ? wasmUrl : prefix + path;
            },
          },
          fireImmediately: true,
        })
      ).then(function () {
        return new api.BarcodeDetector({ formats: ["qr_code"] });
      });
    });
  }

  function getDetector() {
    if (detector) {
      return Promise.resolve(detector);
    }
    return nativeDetector()
      .then(function (found) {
        return found || bundledDetector();
      })
      .then(function (made) {
        detector = made;
        return made;
      });
  }

  function say(text) {
    status.textContent = text || "";
  }

  function stopCamera() {
    cameraActive = false;
    window.clearTimeout(timer);
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    panel.hidden = true;
    startButton.hidden = false;
  }

  function onCode(value) {
    var now = Date.now();
    if (value === lastValue && now - lastAt < 3000) {
      return; // the same label still in front of the camera
    }
    lastValue = value;
    lastAt = now;
    input.value = value;
    if (!isBatch) {
      stopCamera(); // the device page opens
    }
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function scanFrame() {
    if (!cameraActive) {
      return;
    }
    var next = function () {
      timer = window.setTimeout(scanFrame, 150);
    };
    if (video.readyState < 2) {
      next();
      return;
    }
    detector
      .detect(video)
      .then(function (codes) {
        if (codes.length && codes[0].rawValue) {
          onCode(codes[0].rawValue);
        }
      })
      .catch(function () {})
      .then(next);
  }

  function startCamera() {
    cameraActive = true;
    startButton.hidden = true;
    panel.hidden = false;
    say(texts.loading);
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(getDetector)
      .then(function () {
        say(texts.aim);
        scanFrame();
      })
      .catch(function (error) {
        var name = error && error.name;
        stopCamera();
        panel.hidden = false;
        stopButton.hidden = true;
        if (name === "NotAllowedError" || name === "SecurityError") {
          say(texts.denied);
        } else if (name === "NotFoundError" || name === "OverconstrainedError") {
          say(texts.missing);
        } else {
          say(texts.failed);
        }
        focusInput();
      });
  }

  startButton.addEventListener("click", function () {
    stopButton.hidden = false;
    startCamera();
  });
  stopButton.addEventListener("click", function () {
    stopCamera();
    focusInput();
  });
  window.addEventListener("pagehide", stopCamera);
})();

// The browser's own WebSocket, opened by the very page that shows the notebook.
//
// The front end of wslab.widgets.BrowserSocket (an anywidget). Every button
// calls the WebSocket API of this browser directly (new WebSocket, send,
// close) and every event it fires is logged, in order, into the widget's
// `events` trait, which the kernel reads and draws beside its wire tap.
// Whatever the browser refuses (a close code, a call in the wrong state) is
// shown with the browser's own exception, exactly as it threw it.

const MAX_EVENTS = 200;   // the log keeps the newest events: nothing grows without bound
const READY = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
const NOTES = "the teacher's notes on jupyter-server-proxy (docs/jupyter-server-proxy.md in the wslab repository)";

export function isLoopback(hostname) {
  const host = String(hostname).replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// Can a page at `pageHref` reach the server at `serverUrl`? A loopback address
// means "this computer": the kernel's loopback is reachable only from a browser
// on the kernel's own machine, i.e. when the page itself came from loopback.
export function reachability(pageHref, serverUrl, baseUrl = "/") {
  let page, server;
  try {
    page = new URL(pageHref);
    server = new URL(serverUrl);
  } catch (error) {
    return { ok: false, text: `not a URL: ${serverUrl}`, proxyUrl: "" };
  }
  if (!isLoopback(server.hostname) || isLoopback(page.hostname)) return { ok: true, text: "", proxyUrl: "" };
  const scheme = page.protocol === "https:" ? "wss:" : "ws:";
  const base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
  const proxyUrl = `${scheme}//${page.host}${base}proxy/${server.port || 80}/`;
  const text = `This page comes from ${page.host}, not from the computer the kernel runs on. The server is on the ` +
    `kernel's loopback (${server.host}), and 127.0.0.1 in your browser means your own computer: the browser ` +
    `cannot reach it (JupyterHub, Binder and remote servers work this way). Where jupyter-server-proxy is ` +
    `installed, the same server is at ${proxyUrl}: see ${NOTES}.`;
  return { ok: false, text, proxyUrl };
}

// The close code field: "" means close() without a code; otherwise a whole number, passed to the
// browser as it is (the browser decides which codes it accepts, and says why not).
export function parseCloseCode(text) {
  const trimmed = String(text).trim();
  if (trimmed === "") return { code: undefined, error: "" };
  if (!/^-?\d+$/.test(trimmed)) return { code: undefined, error: `close code: ${JSON.stringify(trimmed)} is not a whole number` };
  return { code: Number(trimmed), error: "" };
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function quote(text) {
  return "'" + String(text).replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

function baseUrl() {
  const config = document.getElementById("jupyter-config-data");
  try {
    return (config && JSON.parse(config.textContent).baseUrl) || "/";
  } catch (error) {
    return "/";
  }
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function input(model, trait, label, size) {
  const field = element("input", { type: "text", class: "wslab-bs-input", "data-trait": trait, size: String(size) });
  field.value = model.get(trait);
  field.addEventListener("input", () => { model.set(trait, field.value); model.save_changes(); });
  model.on(`change:${trait}`, () => { if (field.value !== model.get(trait)) field.value = model.get(trait); });
  return element("label", { class: "wslab-bs-label" }, [label + " ", field]);
}

function render({ model, el }) {
  let ws = null;
  let lastReady = null;
  let opened = false;
  let chain = Promise.resolve();   // logs run in order, even those that wait for a Blob's bytes

  const log = (event) => {
    const events = [...model.get("events"), event].slice(-MAX_EVENTS);
    model.set("events", events);
    model.save_changes();
  };
  const later = (make) => { chain = chain.then(make).then(log, (error) => log({ type: "notice", text: String(error) })); };
  const now = (event) => later(() => event);
  const say = (text) => { notice.textContent = text; notice.style.display = text ? "" : "none"; };

  const noteReadyState = () => {
    if (ws && ws.readyState !== lastReady) {
      lastReady = ws.readyState;
      now({ type: "readyState", value: lastReady });
    }
  };
  const publishState = () => {
    const state = ws ? { readyState: ws.readyState, bufferedAmount: ws.bufferedAmount, protocol: ws.protocol,
                         extensions: ws.extensions, binaryType: ws.binaryType, url: ws.url } : {};
    status.textContent = ws
      ? `readyState ${ws.readyState} ${READY[ws.readyState]} · bufferedAmount ${ws.bufferedAmount} · ` +
        `protocol ${quote(ws.protocol)} · extensions ${quote(ws.extensions)} · binaryType ${quote(ws.binaryType)}`
      : "readyState: no WebSocket yet (click connect)";
    if (JSON.stringify(state) !== JSON.stringify(model.get("state"))) {
      model.set("state", state);
      model.save_changes();
    }
  };
  const guarded = (call, action, extra = {}) => {
    try {
      action();
      return true;
    } catch (error) {
      now({ type: "exception", call, name: error.name, message: error.message, ...extra });
      return false;
    } finally {
      noteReadyState();
      publishState();
    }
  };

  const connect = () => {
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      say("already connected: close first (one connection at a time keeps the two records side by side)");
      return;
    }
    const url = model.get("url").trim();
    const protocols = model.get("protocols").split(",").map((p) => p.trim()).filter((p) => p);
    const reach = reachability(location.href, url, baseUrl());
    proxyButton.style.display = reach.proxyUrl ? "" : "none";
    proxyButton.dataset.url = reach.proxyUrl;
    say(reach.text);
    const call = `new WebSocket(${quote(url)}, [${protocols.map(quote).join(", ")}])`;
    now({ type: "call", call, url, protocols });
    lastReady = null;
    opened = false;
    const made = guarded(call, () => { ws = new WebSocket(url, protocols); });
    if (!made) { ws = null; return; }
    ws.binaryType = model.get("binary_type");
    noteReadyState();
    const socket = ws;
    socket.addEventListener("open", () => {
      if (socket !== ws) return;
      opened = true;
      noteReadyState();
      now({ type: "open", protocol: socket.protocol, extensions: socket.extensions });
      publishState();
    });
    socket.addEventListener("message", (event) => {
      if (socket !== ws) return;
      const data = event.data;
      if (typeof data === "string") {
        now({ type: "message", dataType: "string", data, size: new TextEncoder().encode(data).length });
      } else if (data instanceof ArrayBuffer) {
        now({ type: "message", dataType: "ArrayBuffer", hex: hex(new Uint8Array(data)), size: data.byteLength });
      } else {   // a Blob: its bytes are read asynchronously, the log keeps its place
        later(async () => ({ type: "message", dataType: "Blob", hex: hex(new Uint8Array(await data.arrayBuffer())),
                             size: data.size }));
      }
    });
    socket.addEventListener("error", () => { if (socket === ws) { noteReadyState(); now({ type: "error" }); } });
    socket.addEventListener("close", (event) => {
      if (socket !== ws) return;
      noteReadyState();
      now({ type: "close", code: event.code, reason: event.reason, wasClean: event.wasClean });
      publishState();
      if (!opened) {
        say(reachability(location.href, url, baseUrl()).text ||
            `The browser could not open the connection (close code ${event.code} before any open event). ` +
            "A page's script is told no more than that, on purpose. Is the server in the kernel running? " +
            "(After a kernel restart, run the cell that starts it again.) On JupyterHub or Binder, see " + NOTES + ".");
      }
    });
    publishState();
  };

  const sendText = () => {
    if (!ws) return say("not connected: click connect first");
    const data = model.get("message");
    if (guarded(`send(${quote(data)})`, () => ws.send(data))) {
      now({ type: "send", kind: "text", data, size: new TextEncoder().encode(data).length,
            bufferedAmount: ws.bufferedAmount });
    }
  };
  const sendBinary = () => {
    if (!ws) return say("not connected: click connect first");
    const bytes = new TextEncoder().encode(model.get("message"));
    if (guarded(`send(Uint8Array(${bytes.length}))`, () => ws.send(bytes))) {
      now({ type: "send", kind: "binary", hex: hex(bytes), size: bytes.length, bufferedAmount: ws.bufferedAmount });
    }
  };
  const close = () => {
    if (!ws) return say("not connected: click connect first");
    const parsed = parseCloseCode(model.get("close_code"));
    if (parsed.error) return say(parsed.error);
    say("");
    const reason = model.get("close_reason");
    const code = parsed.code;
    const call = code === undefined ? "close()" : reason ? `close(${code}, ${quote(reason)})` : `close(${code})`;
    const closing = ws;
    try {
      if (code === undefined) closing.close(); else if (reason) closing.close(code, reason); else closing.close(code);
      now({ type: "call", call, code: code === undefined ? null : code, reason });
    } catch (error) {
      now({ type: "exception", call, code: code === undefined ? null : code, reason, name: error.name,
            message: error.message });
    }
    noteReadyState();
    publishState();
  };

  const button = (name, action) => {
    const node = element("button", { class: "wslab-bs-button", "data-action": name, text: name });
    node.addEventListener("click", action);
    return node;
  };
  const binaryType = element("select", { class: "wslab-bs-input", "data-trait": "binary_type" },
                             ["blob", "arraybuffer"].map((v) => element("option", { value: v, text: v })));
  binaryType.value = model.get("binary_type");
  binaryType.addEventListener("change", () => {
    model.set("binary_type", binaryType.value);
    model.save_changes();
    if (ws) { ws.binaryType = binaryType.value; publishState(); }
  });
  model.on("change:binary_type", () => { binaryType.value = model.get("binary_type"); });

  const proxyButton = button("use the proxy URL", () => {
    model.set("url", proxyButton.dataset.url);
    model.save_changes();
  });
  proxyButton.style.display = "none";
  const notice = element("div", { class: "wslab-bs-notice" });
  const status = element("div", { class: "wslab-bs-status" });
  const picture = element("div", { class: "wslab-bs-picture" });
  const draw = () => { picture.innerHTML = model.get("picture"); };
  model.on("change:picture", draw);

  // "jupyter-widgets" marks a rendered widget view, as ipywidgets' own views are marked (the lesson test looks for it).
  el.classList.add("jupyter-widgets", "wslab-bs");
  el.append(
    element("div", { class: "wslab-bs-row" }, [input(model, "url", "server", 28), input(model, "protocols", "protocols", 16),
      element("label", { class: "wslab-bs-label" }, ["binaryType ", binaryType]), button("connect", connect), proxyButton]),
    element("div", { class: "wslab-bs-row" }, [input(model, "message", "message", 28), button("send text", sendText),
      button("send binary", sendBinary)]),
    element("div", { class: "wslab-bs-row" }, [input(model, "close_code", "close code", 6),
      input(model, "close_reason", "reason", 20), button("close", close)]),
    notice, status, picture);
  say(reachability(location.href, model.get("url"), baseUrl()).text);
  const first = reachability(location.href, model.get("url"), baseUrl());
  proxyButton.style.display = first.proxyUrl ? "" : "none";
  proxyButton.dataset.url = first.proxyUrl;
  model.set("page", { origin: location.origin, loopback: isLoopback(location.hostname), notice: first.text });
  model.save_changes();
  publishState();
  draw();
  // bufferedAmount and readyState change without an event: watch them while a socket lives.
  const timer = setInterval(() => { if (ws) { noteReadyState(); publishState(); } }, 100);
  return () => {
    clearInterval(timer);
    if (ws && ws.readyState < WebSocket.CLOSING) ws.close(1000, "widget view removed");
  };
}

export default { render };

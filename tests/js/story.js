// One story told by the official socket.io-client, the same in Node (run_story.mjs) and in a
// browser page (browser/story.html). It talks to the test app (node_server.mjs, tests/sio_app.py)
// and logs what it saw as plain objects; the Python tests check them.
//
//   await runStory(io, url, {transports: ["websocket"]}, log)
//
// `io` is the client's lookup function, `transports` undefined means the client's default
// (HTTP long-polling first, then the upgrade to WebSocket).

const WAIT_MS = 5000;  // how long the story waits for each event; runStory's `wait` can shorten it
let waitMs = WAIT_MS;

// Binary arrives as a Buffer in Node and as an ArrayBuffer in a browser: log both as {bytes: [...]}.
export function plain(value) {
  if (value instanceof ArrayBuffer) return { bytes: Array.from(new Uint8Array(value)) };
  if (ArrayBuffer.isView(value)) return { bytes: Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value === undefined ? null : value;
}

function next(emitter, event, what = event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${what}" within ${waitMs} ms`)), waitMs);
    emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function ack(socket, event, ...args) {
  return new Promise((resolve) => socket.emit(event, ...args, (...answer) => resolve(plain(answer))));
}

export async function runStory(io, url, { transports, pings = 3, wait = WAIT_MS } = {}, log) {
  waitMs = wait;
  const options = { transports, reconnection: false, forceNew: true };

  // Connect with auth; the app answers with the CONNECT payload it received.
  const a = io(url, { ...options, auth: { token: "abc", name: "A" } });
  const firstTransport = new Promise((resolve) => a.io.on("open", () => resolve(a.io.engine.transport.name)));
  const upgraded = transports ? null : next(a.io.engine, "upgrade").catch((err) => [{ name: err.message }]);
  const [auth] = await next(a, "auth");
  log({ step: "auth", auth, id: typeof a.id, first_transport: await firstTransport });
  if (upgraded) log({ step: "upgrade", transport: (await upgraded)[0].name });
  log({ step: "transport", name: a.io.engine.transport.name });

  // Emits both ways.
  a.emit("message", 1, "2", { 3: [false] });
  log({ step: "message-back", args: plain(await next(a, "message-back")) });

  // Acks, client -> server: 0, 1 and several answers; a handler that never answers.
  log({ step: "ack", several: await ack(a, "message-with-ack", 1, "2", { 3: [false] }),
        one: await ack(a, "message-with-ack", "x"), none: await ack(a, "message-with-ack") });
  const silent = await new Promise((resolve) => a.timeout(300).emit("silent-with-ack", (err) => resolve(err?.message ?? null)));
  log({ step: "ack-timeout", error: silent });

  // Acks, server -> client: the client's listener answers through its callback.
  a.on("question", (q, answer) => answer(`A answers ${q}`));
  log({ step: "server-ack", result: await ack(a, "do", "ask one") });

  // Rooms: A joins r, B asks the server to send to r without itself.
  const b = io(url, { ...options, auth: { name: "B" } });
  await next(b, "auth");                         // the app's first emit: B is connected
  const seen = { A: [], B: [] };
  a.onAny((event, ...args) => seen.A.push([event, ...plain(args)]));
  b.onAny((event, ...args) => seen.B.push([event, ...plain(args)]));
  log({ step: "join", answer: await ack(a, "join", "r") });
  await ack(b, "do", "socket.to(r).emit");
  await ack(b, "do", "io.to(r).emit");
  await Promise.all([ack(a, "sync"), ack(b, "sync")]);
  log({ step: "rooms", seen: { A: seen.A.filter(([e]) => e !== "question"), B: seen.B } });

  // Binary both ways: an attachment in an event, in an ack, and from the server.
  a.emit("message", new Uint8Array([1, 2, 3]), "text");
  const binaryBack = plain(await next(a, "message-back"));
  const binaryAck = await ack(a, "message-with-ack", { data: new Uint8Array([4, 5]) });
  const fromServer = next(a, "binary");
  await ack(a, "do", "binary");
  log({ step: "binary", back: binaryBack, ack: binaryAck, from_server: plain(await fromServer) });

  // Namespaces: /custom shares A's connection; an unknown one is refused.
  const custom = io(`${url}/custom`, { ...options, forceNew: false, auth: { name: "A-custom" } });
  const [customAuth] = await next(custom, "auth");
  const nope = io(`${url}/nope`, { ...options, forceNew: false });
  const [nopeErr] = await next(nope, "connect_error");
  log({ step: "namespaces", custom_auth: customAuth, unknown: nopeErr.message });

  // Middleware refusal: connect_error carries message and data.
  const bad = io(url, { ...options, auth: { token: "bad" } });
  const [badErr] = await next(bad, "connect_error");
  log({ step: "middleware", message: badErr.message, data: badErr.data ?? null });

  // Heartbeat: stay idle past pingInterval; the server pings, the client answers, nothing drops.
  let seenPings = 0;
  a.io.on("ping", () => { seenPings += 1; });
  while (seenPings < pings) await next(a.io, "ping", `ping ${seenPings + 1}`).then(() => sleep(0));
  log({ step: "heartbeat", pings: seenPings >= pings, connected: a.connected && b.connected });

  // Disconnects: the server kicks B; A leaves /custom, then disconnects itself.
  b.emit("kick-me");
  const [bReason] = await next(b, "disconnect");
  custom.disconnect();
  await ack(a, "sync");
  const aGone = next(a, "disconnect");
  a.disconnect();
  const [aReason] = await aGone;
  log({ step: "disconnect", server_side: bReason, client_side: aReason });
  log({ step: "end" });
}

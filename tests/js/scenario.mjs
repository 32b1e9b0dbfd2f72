// The differential scenario: three official clients against one server (Node's socket.io or
// wslab's), every emit pattern, acks (single, broadcast, timeouts), disconnect reasons.
//
//   node scenario.mjs URL [websocket|polling]
//
// Prints one JSON line: what each client received (in order), each pattern's ack result, the
// client-side disconnect reasons. The server-side reasons come from the server itself.
import { io } from "socket.io-client";
import { plain } from "./story.js";

const [url, only] = process.argv.slice(2);
const WAIT_MS = 5000;
const options = { transports: only ? [only] : undefined, reconnection: false, forceNew: true };

function next(emitter, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${WAIT_MS} ms`)), WAIT_MS);
    emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${socket.auth.name}'s ${JSON.stringify([event, ...args])}`)), WAIT_MS);
    socket.emit(event, ...args, (...answer) => { clearTimeout(timer); resolve(plain(answer)); });
  });
}

const received = { A: [], B: [], C: [], "A/custom": [] };
const record = (name) => (event, ...args) =>
  received[name].push([event, ...args.map((arg) => (typeof arg === "function" ? "<ack callback>" : plain(arg)))]);

async function client(name, nsp = "") {
  const socket = io(`${url}${nsp}`, { ...options, forceNew: !nsp, auth: { name: nsp ? `${name}${nsp}` : name } });
  socket.onAny(record(nsp ? `${name}${nsp}` : name));
  await next(socket, "connect");
  return socket;
}

const result = { acks: {}, reasons: {} };
try {
  const A = await client("A");
  const B = await client("B");
  const C = await client("C");
  const Acustom = await client("A", "/custom");
  const all = [A, B, C];
  const sync = () => Promise.all([...all, Acustom].map((s) => s.connected && ack(s, "sync")));
  for (const s of all) s.on("question", (q, answer) => answer(`${s.auth.name} answers ${q}`));
  A.on("question-a-only", (answer) => answer("only A answers"));
  A.on("silent-question", () => {});
  result.acks.join = [await ack(A, "join", "r"), await ack(B, "join", "r"), await ack(C, "join", "c")];
  await sync();

  const patterns = [
    "io.emit", "socket.emit", "socket.broadcast.emit", "io.to(r).emit", "socket.to(r).emit",
    "io.to(r).to(c).emit", "io.except(r).emit", "io.to(r).except(c).emit", "socket.to(socket.id).emit",
    "io.to(socket.id).emit", "io.to(nobody).emit", "io.of(/custom).emit", "binary", "numbers", "strings",
    "ask one", "ask one, no answer", "ask all", "ask all, one silent", "ask room", "ask all, no timeout",
  ];
  for (const pattern of patterns) {
    result.acks[pattern] = await ack(A, "do", pattern);
    await sync();
  }
  // The same patterns sent by C, who is in no room with A and B.
  for (const pattern of ["socket.broadcast.emit", "socket.to(r).emit", "io.to(r).emit"]) {
    result.acks[`C: ${pattern}`] = await ack(C, "do", pattern);
    await sync();
  }

  // Client -> server acks: several, one, none; a handler that never answers.
  result.acks["message-with-ack"] = [await ack(B, "message-with-ack", 1, "2", { 3: [false] }),
                                     await ack(B, "message-with-ack")];
  result.acks["silent-with-ack"] = await new Promise((resolve) =>
    B.timeout(300).emit("silent-with-ack", (err) => resolve(err?.message ?? null)));

  // A leaves: first /custom, then itself; while away it emits (the client buffers), then comes back.
  const firstId = A.id;
  const aGone = next(A, "disconnect");
  Acustom.disconnect();
  A.disconnect();
  result.reasons.A = (await aGone)[0];
  A.emit("message", "sent while disconnected");
  A.connect();
  await next(A, "connect");
  await next(A, "message-back");
  result.acks["A reconnected, new id"] = typeof A.id === "string" && A.id !== firstId;
  await sync();
  const aAgain = next(A, "disconnect");
  A.disconnect();
  result.reasons["A again"] = (await aAgain)[0];

  // The server kicks B; C closes the whole server.
  const bGone = next(B, "disconnect");
  B.emit("kick-me");
  result.reasons.B = (await bGone)[0];
  const cGone = next(C, "disconnect");
  C.emit("close-server");
  result.reasons.C = (await cGone)[0];
  result.received = received;
} catch (err) {
  result.error = String(err?.stack ?? err);
  result.received = received;
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);

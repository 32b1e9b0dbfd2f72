// The real Node `socket.io` server running the test app (tests/sio_app.py is the same app on wslab).
//
//   node node_server.mjs '{"pingInterval": 300, "pingTimeout": 200, "cors": {"origin": ["http://a"]}}'
//
// Prints one JSON line {"port": N} once listening on 127.0.0.1 (port chosen by the OS), then one
// JSON line per server-side event the tests compare ({"server": "disconnect", ...}). Exits when the
// app's "close-server" event has closed the server, or on stdin's end.
import { createServer } from "node:http";
import { Server } from "socket.io";

const options = JSON.parse(process.argv[2] || "{}");
const refuseOrigin = options.refuseOrigin;   // allowRequest refuses requests from this Origin
delete options.refuseOrigin;
if (refuseOrigin) {
  options.allowRequest = (req, callback) => callback(null, req.headers.origin !== refuseOrigin);
}

const httpServer = createServer();
const io = new Server(httpServer, options);
const report = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const name = (socket) => socket.handshake.auth.name ?? "?";

io.use((socket, next) => {
  if (socket.handshake.auth.token === "bad") {
    const err = new Error("not authorized");
    err.data = { code: 42 };
    return next(err);
  }
  next();
});

io.on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => args.pop()(...args));
  socket.on("silent-with-ack", () => {});
  socket.on("join", (room, ack) => { socket.join(room); ack(`joined ${room}`); });
  socket.on("leave", (room, ack) => { socket.leave(room); ack(`left ${room}`); });
  socket.on("sync", (ack) => ack());
  socket.on("kick-me", () => socket.disconnect());
  socket.on("close-server", () => io.close());
  socket.on("do", (pattern, ack) => PATTERNS[pattern](socket, ack));
  socket.on("disconnect", (reason) => report({ server: "disconnect", name: name(socket), nsp: "/", reason }));
});

io.of("/custom").on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  socket.on("sync", (ack) => ack());
  socket.on("disconnect", (reason) => report({ server: "disconnect", name: name(socket), nsp: "/custom", reason }));
});

const sorted = (values) => [...values].sort();

// Each pattern emits, then answers the "do" ack with what the server saw (acks' results).
const PATTERNS = {
  "io.emit": (s, ack) => { io.emit("all", "io.emit"); ack(); },
  "socket.emit": (s, ack) => { s.emit("only", "socket.emit"); ack(); },
  "socket.broadcast.emit": (s, ack) => { s.broadcast.emit("bcast", "socket.broadcast.emit"); ack(); },
  "io.to(r).emit": (s, ack) => { io.to("r").emit("room", "io.to(r)"); ack(); },
  "socket.to(r).emit": (s, ack) => { s.to("r").emit("room_not_sender", "socket.to(r)"); ack(); },
  "io.to(r).to(c).emit": (s, ack) => { io.to("r").to("c").emit("union", "r+c"); ack(); },
  "io.except(r).emit": (s, ack) => { io.except("r").emit("except_r", "except r"); ack(); },
  "io.to(r).except(c).emit": (s, ack) => { io.to("r").except("c").emit("r_except_c", "r-c"); ack(); },
  "socket.to(socket.id).emit": (s, ack) => { s.to(s.id).emit("to_own_id", "nobody"); ack(); },
  "io.to(socket.id).emit": (s, ack) => { io.to(s.id).emit("io_to_own_id", "me"); ack(); },
  "io.to(nobody).emit": (s, ack) => { io.to("empty-room").emit("nobody", "x"); ack(); },
  "io.of(/custom).emit": (s, ack) => { io.of("/custom").emit("custom_all", "custom"); ack(); },
  "binary": (s, ack) => { s.emit("binary", Buffer.from([0, 1, 2, 255]), { nested: [Buffer.from("hi")] }); ack(); },
  "numbers": (s, ack) => { s.emit("numbers", 1.0, -0, 9007199254740993, 0.1, 1e21, NaN); ack(); },
  "strings": (s, ack) => { s.emit("strings", "é ☃ 😀", "\u2028", "</script>", "\u0000"); ack(); },
  "ask one": (s, ack) => s.timeout(2000).emit("question", "q?", (err, answer) => ack(err?.message ?? null, answer)),
  "ask one, no answer": (s, ack) => s.timeout(300).emit("silent-question", (err, answer) => ack(err?.message ?? null, answer ?? null)),
  "ask all": (s, ack) => io.timeout(2000).emit("question", "all?", (err, answers) => ack(err?.message ?? null, sorted(answers))),
  "ask all, one silent": (s, ack) => io.timeout(300).emit("question-a-only", (err, answers) => ack(err?.message ?? null, sorted(answers))),
  "ask room": (s, ack) => io.to("r").timeout(2000).emit("question", "r?", (err, answers) => ack(err?.message ?? null, sorted(answers))),
  "ask all, no timeout": (s, ack) => io.emit("question", "now?", (err, answers) => ack(err?.message ?? null, sorted(answers))),
};

httpServer.listen(0, "127.0.0.1", () => report({ port: httpServer.address().port }));
httpServer.on("close", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

// The Node socket.io server of bench/bench_socketio.py: "go" -> io.emit("tick", n); "echo" acks its argument.
// Prints {"port": N} once listening on 127.0.0.1; exits when stdin ends.
import { createServer } from "node:http";
import { Server } from "socket.io";

const httpServer = createServer();
const io = new Server(httpServer);
io.on("connection", (socket) => {
  socket.on("go", (n) => io.emit("tick", n));
  socket.on("echo", (x, ack) => ack(x));
});
httpServer.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: httpServer.address().port }) + "\n"));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

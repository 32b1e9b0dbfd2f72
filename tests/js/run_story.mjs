// Node driver of story.js: node run_story.mjs URL [websocket|polling [WAIT_MS]]
// Prints one JSON line per step; {"step": "error", "message": ...} if the story broke off.
import { io } from "socket.io-client";
import { runStory } from "./story.js";

const [url, only, wait] = process.argv.slice(2);
const log = (line) => process.stdout.write(JSON.stringify(line) + "\n");
try {
  await runStory(io, url, { transports: only ? [only] : undefined, wait: wait ? Number(wait) : undefined }, log);
} catch (err) {
  log({ step: "error", message: String(err?.stack ?? err) });
}
process.exit(0);

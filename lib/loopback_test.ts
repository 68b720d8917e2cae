import assert from "node:assert/strict";
import { isLoopbackServer } from "./loopback.ts";

Deno.test("isLoopbackServer() recognises 127.0.0.0/8, ::1 and localhost, and nothing else", () => {
  for (
    const server of [
      "https://127.0.0.1:6443",
      "https://127.1.2.3",
      "https://localhost:40123",
      "https://api.localhost",
      "https://[::1]:6443",
      "https://[::ffff:127.0.0.1]:6443",
      "https://LOCALHOST:1",
    ]
  ) assert.equal(isLoopbackServer(server), true, server);
  for (
    const server of [
      "https://10.0.0.5:6443",
      "https://128.0.0.1",
      "https://east-control-plane:6443",
      "https://localhost.example.com",
      "https://[::2]:6443",
      "https://[::ffff:10.0.0.1]",
      "not a url",
      "",
    ]
  ) assert.equal(isLoopbackServer(server), false, server);
});

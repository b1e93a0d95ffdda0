// A TCP proxy in front of one edge host, so a test can cut a page's connection the way a network does: both TCP
// connections reset, no WebSocket close handshake. A browser cannot do that to its own socket (close() always
// sends a close frame), and the edge host must see an abort for a v2 session to be suspended, not ended.
import net from "node:net";
import { once } from "node:events";

/** Listens on a free loopback port and forwards every connection to `target` (an http:// URL). */
export async function startProxy(target) {
  const upstream = new URL(target);
  const pairs = new Set();
  let held = false;
  const server = net.createServer((client) => {
    if (held) {
      client.resetAndDestroy(); // offline: the page's reconnect attempts fail as they would without a network
      return;
    }
    const server = net.connect(Number(upstream.port), upstream.hostname);
    const pair = { client, server };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("error", drop).on("close", drop);
    server.on("error", drop).on("close", drop);
    client.pipe(server);
    server.pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    /** Resets every connection through the proxy; with hold, new ones are refused until open(). */
    cut({ hold = false } = {}) {
      held = hold;
      for (const { client, server: upstreamSocket } of [...pairs]) {
        upstreamSocket.resetAndDestroy();
        client.resetAndDestroy();
      }
      pairs.clear();
    },
    /** Lets connections through again. */
    open() {
      held = false;
    },
    close() {
      for (const { client, server: upstreamSocket } of pairs) {
        client.destroy();
        upstreamSocket.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

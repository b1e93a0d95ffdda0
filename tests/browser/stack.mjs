// Starts a local WsRooms cluster for the browser tests with ../../run.sh (one silo, N edge hosts on free ports)
// and launches Debian's Chromium. Nothing here sleeps to synchronise: run.sh itself waits until every process
// is ready and then prints the URLs, which is what startStack waits for.
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const START_TIMEOUT_MS = 240_000; // a cold start on 2 busy cores: silo, then the edges
const STOP_TIMEOUT_MS = 60_000;

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

// Launch flags that let headless Chromium run as root in a container without a GPU or outside network access.
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function freePort() {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A first port P such that P .. P+count-1 are free now.
async function freePortRange(count) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await freePort();
    if (first + count - 1 > 65535) continue;
    let ok = true;
    for (let port = first + 1; port < first + count && ok; port++) ok = await portIsFree(port);
    if (ok) return first;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/**
 * Runs `run.sh --no-build --edges N --port P` and resolves when it prints "WsRooms is running.", with the edge
 * URLs and stop(). A port taken between the check and run.sh's own check is retried with another range.
 */
export async function startStack({ edges = 2, log = () => {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePortRange(edges);
    try {
      return await runStack(port, edges, log);
    } catch (error) {
      if (attempt >= 3 || !/already in use/.test(error.message)) throw error;
      log(`port ${port} was taken, trying another (${error.message})`);
    }
  }
}

function runStack(port, edges, log) {
  const child = spawn("bash", [path.join(ROOT, "run.sh"), "--no-build", "--edges", String(edges), "--port", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);

  let output = "";
  const exited = once(child, "exit");
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM"); // run.sh stops the edges (drain), then the silo
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(async () => {
      await stop();
      reject(new Error(`run.sh did not start within ${START_TIMEOUT_MS / 1000}s:\n${output}`));
    }, START_TIMEOUT_MS);
    let ready = false;
    const onData = (chunk) => {
      output += chunk;
      if (ready || !output.includes("WsRooms is running.") || !output.includes("Press Ctrl-C")) return;
      ready = true;
      clearTimeout(timer);
      const urls = [...output.matchAll(/^\s+edge\s+\d+\s+pid\s+\d+\s+(http:\/\/\S+)/gm)].map((m) => m[1].replace(/\/?$/, "/"));
      log(output.trim());
      if (urls.length !== edges) reject(new Error(`expected ${edges} edge URLs in run.sh's output:\n${output}`));
      else resolve({ urls, stop, output: () => output });
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", (chunk) => { output += chunk; });
    exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`run.sh exited with code ${code} before the cluster was ready:\n${output}`));
    });
  });
}

/**
 * Launches Debian's Chromium headless (Playwright gives it a fresh temporary profile). Each newPage() is a new
 * browser context: its own storage, like another person on another machine.
 */
export async function launchChromium() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    browser,
    async newPage(url, { init } = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      if (init) await context.addInitScript(init);
      const page = await context.newPage();
      if (url) await page.goto(url);
      return page;
    },
    close: () => browser.close(),
  };
}

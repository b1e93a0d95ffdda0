// The demo page (/) and the client module (/wsrooms.js) in headless Chromium, against a local cluster of one silo
// and two edge hosts started with run.sh. Every page of a person is on its own edge host and its own browser
// context. Nothing sleeps: every step waits for what it expects to see, with a timeout.
//   cd tests/browser && npm ci && node --test        (needs a Release build and /usr/bin/chromium; ./test.sh does both)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startProxy } from "./proxy.mjs";
import { launchChromium, startStack } from "./stack.mjs";

const STEP_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 120_000; // a test that hangs fails, and after() still stops the cluster

const it = (name, fn) => test(name, { timeout: TEST_TIMEOUT_MS }, fn);

let stack;
let chromium;
let pages = [];
let pageErrors = [];

const unique = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

before(async () => {
  stack = await startStack({ edges: 2 });
  chromium = await launchChromium();
}, { timeout: 300_000 });

after(async () => {
  await chromium?.close();
  await stack?.stop();
}, { timeout: 120_000 });

// A person on the demo page of edge host `edge` (0 or 1, or a URL in front of one), named `name`, connected.
async function person(edge, name, options = {}) {
  const page = await chromium.newPage(null, options);
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`${name}: console error: ${message.text()}`);
  });
  await page.goto(typeof edge === "number" ? stack.urls[edge] : edge);
  await page.locator("#status[data-state=open]").waitFor();
  await page.locator("#my-name").fill(name);
  await page.locator("#my-name").press("Enter");
  pages.push(page);
  return page;
}

async function closeAll() {
  await Promise.all(pages.map((page) => page.context().close()));
  pages = [];
  const errors = pageErrors;
  pageErrors = [];
  assert.deepEqual(errors, [], "no page threw or logged an error");
}

async function join(page, room) {
  await page.locator("#join-room").fill(room);
  await page.getByRole("button", { name: "Join", exact: true }).click();
  await page.locator("#chat-title", { hasText: room }).waitFor();
  await page.locator("#chat-subtitle", { hasText: "here" }).waitFor(); // the join_ack arrived
}

async function say(page, text) {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Send" }).click();
}

const messages = (page) => page.getByRole("log");
const members = (page) => page.locator("#members");

describe("the demo page, two people on two edge hosts", () => {
  it("join a room, chat, see each other's presence, and leave", async () => {
    const room = unique("e2e-chat");
    const alice = await person(0, "Alice");
    const bob = await person(1, "Bob");

    await join(alice, room);
    await join(bob, room);
    await members(alice).getByText("Bob").waitFor();
    await members(bob).getByText("Alice").waitFor();
    assert.equal(await alice.locator("#members-heading").textContent(), "Members — 2");

    await say(alice, "Hello from edge one");
    await messages(bob).getByText("Hello from edge one").waitFor();
    await say(bob, "Hi Alice, edge two here");
    await messages(alice).getByText("Hi Alice, edge two here").waitFor();
    await messages(alice).getByText("Bob joined").waitFor();

    await bob.getByRole("button", { name: "Leave room" }).click();
    await members(alice).getByText("Bob").waitFor({ state: "detached" });
    await messages(alice).getByText("Bob left").waitFor();
    await bob.locator("#rooms", { hasText: room }).waitFor({ state: "detached" });
    assert.equal(await alice.locator("#members-heading").textContent(), "Members — 1");
    await closeAll();
  });

  it("a direct message reaches its one recipient, across edge hosts", async () => {
    const room = unique("e2e-direct");
    const alice = await person(0, "Alice");
    const bob = await person(1, "Bob");
    const carol = await person(1, "Carol");
    for (const page of [alice, bob, carol]) await join(page, room);
    await members(alice).getByText("Carol").waitFor();

    await members(alice).locator("li", { hasText: "Bob" }).hover();
    await alice.getByRole("button", { name: "Message Bob privately" }).click();
    await alice.locator("#chat-title", { hasText: "@ Bob" }).waitFor();
    await say(alice, "psst, only for you");

    const fromAlice = bob.locator("#dms li", { hasText: "Alice" });
    await fromAlice.locator(".badge", { hasText: "1" }).waitFor();
    await fromAlice.getByRole("button", { name: /Alice/ }).first().click();
    await messages(bob).getByText("psst, only for you").waitFor();

    await bob.getByLabel("Message", { exact: true }).fill("got it");
    await bob.getByRole("button", { name: "Send" }).click();
    await messages(alice).getByText("got it").waitFor();

    // Carol was not told: a broadcast sent after the direct message reaches her, and nothing else did.
    await alice.locator("#rooms button.open", { hasText: room }).click();
    await say(alice, "marker for everyone");
    await messages(carol).getByText("marker for everyone").waitFor();
    assert.equal(await carol.locator("#dms li").count(), 0);
    assert.equal(await carol.getByText("psst, only for you").count(), 0);
    await closeAll();
  });

  it("a room with a non-ASCII name carries non-ASCII messages", async () => {
    const room = unique("café ☕ 日本 Ωμέγα");
    const alice = await person(0, "Ålice");
    const bob = await person(1, "Bøb 🚲");

    await join(alice, room);
    await join(bob, room);
    await members(alice).getByText("Bøb 🚲").waitFor();
    await say(alice, "Grüße 👋 こんにちは — ça va ?");
    await messages(bob).getByText("Grüße 👋 こんにちは — ça va ?").waitFor();
    await say(bob, "😀 très bien, 谢谢");
    await messages(alice).getByText("😀 très bien, 谢谢").waitFor();

    const joined = await alice.evaluate((name) => Object.keys(globalThis.wsrooms.rooms()).includes(name), room);
    assert.ok(joined, "the client knows the room by its exact name");
    await closeAll();
  });

  it("a lost connection shows its status, reconnects and rejoins the rooms", async () => {
    const room = unique("e2e-reconnect");
    // Record the page's sockets, so the test can cut the connection under the client's feet.
    const recordSockets = () => {
      const Native = globalThis.WebSocket;
      globalThis.__sockets = [];
      globalThis.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          globalThis.__sockets.push(this);
        }
      };
    };
    const alice = await person(0, "Alice", { init: recordSockets });
    const bob = await person(1, "Bob");
    await join(alice, room);
    await join(bob, room);
    await members(bob).getByText("Alice").waitFor();
    const firstId = await alice.evaluate(() => globalThis.wsrooms.id);

    await alice.evaluate(() => globalThis.__sockets.at(-1).close());
    await messages(alice).getByText("You are back in the room.").waitFor();
    await alice.locator("#status[data-state=open]").waitFor();
    const secondId = await alice.evaluate(() => globalThis.wsrooms.id);
    assert.notEqual(secondId, firstId, "the new connection has a new id");

    await messages(bob).getByText("Alice left").waitFor();
    await members(bob).getByText("Alice").waitFor(); // the new connection, named again by its profile
    await say(bob, "welcome back");
    await messages(alice).getByText("welcome back").waitFor();
    await closeAll();
  });
});

// The texts of the chat lines a page shows, in order (system and presence lines left out).
const chatLines = (page) => page.locator("#messages li.message .text").allTextContents();

describe("the demo page on wsrooms.v2", () => {
  it("a room opens with its last messages, in order", async () => {
    const room = unique("e2e-history");
    const alice = await person(0, "Alice");
    const carol = await person(1, "Carol");
    await join(alice, room);
    await join(carol, room);
    for (const line of ["first of the day", "second, from edge one", "third ☕"]) await say(alice, line);
    await messages(carol).getByText("third ☕").waitFor(); // logged: the room fanned it out

    const bob = await person(1, "Bob");
    await join(bob, room);
    await messages(bob).getByText("third ☕").waitFor();
    assert.deepEqual(await chatLines(bob), ["first of the day", "second, from edge one", "third ☕"]);
    await closeAll();
  });

  it("a socket cut without a close handshake resumes: the same id, every line once and in order", async () => {
    const room = unique("e2e-resume");
    const proxy = await startProxy(stack.urls[0]);
    try {
      const alice = await person(proxy.url, "Alice");
      const bob = await person(1, "Bob");
      await join(alice, room);
      await join(bob, room);
      await members(bob).getByText("Alice").waitFor();
      await say(bob, "before the cut");
      await messages(alice).getByText("before the cut").waitFor();
      const firstId = await alice.evaluate(() => globalThis.wsrooms.id);

      proxy.cut({ hold: true });
      await alice.locator("#status[data-state=reconnecting]").waitFor();
      const missed = ["while away 1", "while away 2", "while away 3"];
      for (const line of missed) await say(bob, line);
      await say(alice, "written while offline"); // kept by the client until the server acknowledges it
      await messages(bob).getByText("while away 3").waitFor();

      proxy.open();
      await alice.evaluate(() => globalThis.wsrooms.reconnect()); // not the backoff's next turn: now
      await alice.locator("#status[data-state=open]").waitFor();
      await messages(alice).getByText("while away 3").waitFor();
      await messages(bob).getByText("written while offline").waitFor();
      await say(bob, "after the resume");
      await messages(alice).getByText("after the resume").waitFor();

      // Alice's own line shows where she wrote it; the lines she missed come after it, once each.
      assert.deepEqual(await chatLines(alice), ["before the cut", "written while offline", ...missed, "after the resume"]);
      assert.deepEqual(await chatLines(bob), ["before the cut", ...missed, "written while offline", "after the resume"]);
      assert.equal(await alice.evaluate(() => globalThis.wsrooms.id), firstId, "the session kept its id");
      assert.equal(await messages(bob).getByText("Alice left").count(), 0, "nobody was told the session was gone");
    } finally {
      // Chromium logs each reconnect attempt refused while the proxy held the line: expected here, not a page error.
      pageErrors = pageErrors.filter((error) => !/^Alice: console error: WebSocket connection to .* failed/.test(error));
      await proxy.close();
    }
    await closeAll();
  });
});

describe("wsrooms.js, the client module", () => {
  it("is served as JavaScript, with its TypeScript declarations", async () => {
    const page = await chromium.newPage(null);
    const script = await page.request.get(new URL("/wsrooms.js", stack.urls[0]).href);
    assert.equal(script.status(), 200);
    assert.match(script.headers()["content-type"], /^text\/javascript|^application\/javascript/);
    const types = await page.request.get(new URL("/wsrooms.d.ts", stack.urls[0]).href);
    assert.equal(types.status(), 200);
    assert.match(await types.text(), /export default function roomer/);
    await page.context().close();
  });

  it("keeps the roomer.js API: roomer(url), join, on, send, members, id, open, leave, purge", async () => {
    const room = unique("roomer-api ünïcode");
    const one = await chromium.newPage(stack.urls[0]);
    const two = await chromium.newPage(stack.urls[1]);
    for (const page of [one, two]) {
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      page.on("pageerror", (error) => pageErrors.push(error.message));
      pages.push(page);
    }

    // The second person joins first and waits for one greeting; the test reads what it saw.
    const heard = two.evaluate(async (name) => {
      const { default: roomer, text } = await import("/wsrooms.js");
      const root = roomer("/ws");
      const room = root.join(name);
      await room.joined;
      globalThis.secondId = root.id();
      return new Promise((resolve) => {
        room.on("greet", (payload, senderId) => resolve({
          isBytes: payload instanceof Uint8Array,
          byteLength: payload.byteLength,
          text: text(payload),
          senderId,
        }));
      });
    }, room);
    await two.waitForFunction(() => typeof globalThis.secondId === "string");

    const seen = await one.evaluate(async (name) => {
      const { default: roomer } = await import("/wsrooms.js");
      const root = roomer("/ws");
      const events = [];
      const room = root.join(name);
      room.on("open", () => events.push("open"));
      const members = await room.joined;
      const open = room.open();
      const refused = room.send("join", "x");
      const greeting = "héllo ☕ 日本";
      room.send("greet", greeting);
      const closed = new Promise((resolve) => room.on("close", () => resolve("close")));
      const extra = root.join(`${name}-extra`);
      await extra.joined;
      const before = Object.keys(root.rooms()).sort();
      await root.purge();
      return {
        id: root.id(),
        roomId: room.id(),
        members,
        membersNow: room.members(),
        open,
        openAfterPurge: room.open(),
        rootOpen: root.open(),
        refused,
        events,
        close: await closed,
        before,
        after: Object.keys(root.rooms()),
        byteLength: new TextEncoder().encode(greeting).length,
      };
    }, room);

    const secondId = await two.evaluate(() => globalThis.secondId);
    assert.equal(seen.roomId, seen.id);
    assert.deepEqual([...seen.members].sort(), [seen.id, secondId].sort());
    assert.equal(seen.open, true);
    assert.equal(seen.openAfterPurge, false);
    assert.equal(seen.rootOpen, true);
    assert.equal(seen.refused, false, "reserved events are not sent");
    assert.deepEqual(seen.events, ["open"]);
    assert.equal(seen.close, "close");
    assert.deepEqual(seen.before, [room, `${room}-extra`, "root"].sort());
    assert.deepEqual(seen.after, ["root"]);

    const greeting = await heard;
    assert.deepEqual(greeting, { isBytes: true, byteLength: seen.byteLength, text: "héllo ☕ 日本", senderId: seen.id });
    await closeAll();
  });

  it("promises and limits: client.ready, room.joined, a RangeError past 128 bytes", async () => {
    const page = await chromium.newPage(stack.urls[1]);
    pages.push(page);
    const result = await page.evaluate(async () => {
      const { connect } = await import("/wsrooms.js");
      const client = connect("/ws");
      const id = await client.ready;
      const room = client.join("ready-" + id);
      const members = await room.joined;
      let rangeError = false;
      try {
        client.join("€".repeat(43)); // 129 UTF-8 bytes, 43 UTF-16 units
      } catch (error) {
        rangeError = error instanceof RangeError;
      }
      const left = room.leave();
      await left;
      client.close();
      let rejected = false;
      await client.ready.catch(() => { rejected = true; });
      return { id, members, rangeError, state: client.state, rejected };
    });
    assert.match(result.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(result.members, [result.id]);
    assert.equal(result.rangeError, true);
    assert.equal(result.state, "closed");
    assert.equal(result.rejected, true);
    await closeAll();
  });
});

describe("wsrooms.js on wsrooms.v2", () => {
  it("send() resolves with the position, a refusal rejects, history(n), and reserved or lifecycle events from the server reach no listener", async () => {
    const room = unique("v2-api");
    const one = await chromium.newPage(stack.urls[0]);
    const two = await chromium.newPage(stack.urls[1]);
    for (const page of [one, two]) {
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      page.on("pageerror", (error) => pageErrors.push(error.message));
      pages.push(page);
    }

    // The listener: a v2 client that records what its room emits.
    await two.evaluate(async (name) => {
      const { connect, text } = await import("/wsrooms.js");
      const client = connect("/ws");
      const room = client.join(name);
      globalThis.room = room;
      globalThis.heard = [];
      for (const event of ["open", "close", "gap", "note", "wsrooms.fake"]) {
        room.on(event, (payload, _from, frame) => globalThis.heard.push({ event, text: payload ? text(payload) : null, seq: frame?.seq?.toString() ?? null }));
      }
      await room.joined;
      globalThis.heard.length = 0; // its own "open" is not what this test is about
      globalThis.listening = client.protocol;
    }, room);
    await two.waitForFunction(() => globalThis.listening !== undefined);

    const seen = await one.evaluate(async (name) => {
      const { connect, default: roomer, encodeFrame } = await import("/wsrooms.js");
      const client = connect("/ws");
      const room = client.join(name);
      await room.joined;
      const first = await room.send("note", "one");
      const second = await room.send("note", "two");
      let refusal = null;
      await client.direct("00000000-0000-8000-8000-000000000000", "note", "nobody").catch((error) => { refusal = error.code; });

      // A v1 socket of the seed API sends events named open, close and wsrooms.fake into the room.
      const root = roomer("/ws");
      const raw = root.join(name);
      await raw.joined;
      const seedProtocol = root.client.protocol;
      for (const event of ["open", "close", "wsrooms.fake"]) root.client.write(encodeFrame(name, event, "", "", "forged"));
      const last = await room.send("note", "three");
      return {
        protocol: client.protocol,
        seedProtocol,
        first: first.toString(),
        second: second.toString(),
        last: last.toString(),
        refusal,
      };
    }, room);
    await two.waitForFunction(() => globalThis.heard.some((entry) => entry.text === "three"));
    const heard = await two.evaluate(() => globalThis.heard);
    // The room's last frames, as the listener asks for them (a member's history leaves out its own frames).
    const history = await two.evaluate(async () => (await globalThis.room.history(10)).map((frame) => ({
      event: frame.event, text: new TextDecoder().decode(frame.payload), seq: frame.seq.toString(),
    })));

    assert.equal(seen.protocol, 2, "connect() speaks wsrooms.v2");
    assert.equal(seen.seedProtocol, 1, "roomer() stays on v1");
    assert.equal(BigInt(seen.second), BigInt(seen.first) + 1n, "positions count up by one");
    assert.equal(seen.refusal, "unknown_dst");
    assert.deepEqual(history.filter((frame) => frame.event === "note").map((frame) => [frame.text, frame.seq]),
      [["one", seen.first], ["two", seen.second], ["three", seen.last]], "the last frames, oldest first, at their positions");
    // The listener got the three notes at the positions their sender was told, and none of the forged events.
    assert.deepEqual(heard, [
      { event: "note", text: "one", seq: seen.first },
      { event: "note", text: "two", seq: seen.second },
      { event: "note", text: "three", seq: seen.last },
    ]);
    await closeAll();
  });
});

describe("the edge host process", () => {
  it("serves its readiness at /readyz and its meters to Prometheus at /metrics", async () => {
    // A page on the edge makes the meters count something: one open connection.
    const page = await person(0, unique("metrics"));
    const ready = await fetch(new URL("/readyz", stack.urls[0]));
    assert.equal(ready.status, 200);
    const scrape = await fetch(new URL("/metrics", stack.urls[0]));
    assert.equal(scrape.status, 200);
    const text = await scrape.text();
    assert.match(text, /^wsrooms_edge_connections\S*\s+[1-9]/m, "the open connection is counted");
    assert.match(text, /^# TYPE wsrooms_edge_frames_in\S* counter/m);
    await page.context().close();
    pages = pages.filter((p) => p !== page);
    await closeAll();
  });
});

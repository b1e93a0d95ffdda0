// Regenerates docs/demo.png: three people on two edge hosts chatting in the demo page.
//   cd tests/browser && npm ci && node screenshot.mjs [path]      (needs a Release build: ./run.sh builds one)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const out = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "../../docs/demo.png"));
const stack = await startStack({ edges: 2 });
const chromium = await launchChromium();
try {
  const people = [];
  for (const [name, url] of [["Alice Martin", stack.urls[0]], ["Bob Chen", stack.urls[1]], ["Zoë Ødegaard", stack.urls[1]]]) {
    const page = await chromium.newPage(url);
    await page.locator("#status[data-state=open]").waitFor();
    await page.locator("#my-name").fill(name);
    await page.locator("#my-name").press("Enter");
    people.push(page);
  }
  const [alice, bob, zoe] = people;
  const say = async (page, text) => {
    await page.locator("#composer-text").fill(text);
    await page.locator("#composer-text").press("Enter");
  };
  const join = async (page, room) => {
    await page.locator("#join-room").fill(room);
    await page.locator("#join-room").press("Enter");
    await page.locator("#chat-subtitle", { hasText: "here" }).waitFor();
  };
  for (const page of people) await join(page, "design-review");
  await join(alice, "café ☕");
  await alice.locator("#rooms button.open", { hasText: "design-review" }).click();
  await alice.locator("#members li", { hasText: "Zoë" }).waitFor();
  await say(alice, "Morning! The new room list is live on both edge hosts 🎉");
  await bob.locator("#messages", { hasText: "room list is live" }).waitFor();
  await say(bob, "Nice. Presence updates instantly here too.");
  await say(bob, "Joining from edge 2, by the way.");
  await zoe.locator("#messages", { hasText: "edge 2" }).waitFor();
  await say(zoe, "Non-ASCII works as well: Grüße, こんにちは, Ødegaard ✓");
  await alice.locator("#messages", { hasText: "Ødegaard ✓" }).waitFor();
  await bob.locator("#members li", { hasText: "Alice" }).getByRole("button").click();
  await say(bob, "Got a minute after standup?");
  await alice.locator("#dms li", { hasText: "Bob" }).waitFor();
  await alice.locator("#composer-text").fill("Sounds good — I'll share the draft");
  await alice.mouse.move(700, 600); // no hover effects in the picture
  await alice.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await chromium.close();
  await stack.stop();
}

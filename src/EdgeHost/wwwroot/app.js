// The demo chat: rooms, who is in them, messages, and direct messages to a member — built on wsrooms.js.
// Every text from the network reaches the page through textContent only.
//
// Events this page speaks (payloads are UTF-8 JSON):
//   chat     in a room:                { name, text, at }   a message to everyone else in the room (at: ms since 1970)
//   dm       in root, dst = recipient: { name, text, at }   a direct message
//   profile  in a room (dst optional): { name }             "this is my name": sent on joining, to each newcomer, and on a rename
// The client speaks wsrooms.v2: a room opens with its last messages, and a dropped connection resumes its session, so
// no line is lost or shown twice across a reconnect.
import { connect, json } from "./wsrooms.js";

const $ = (id) => document.getElementById(id);
const MESSAGE_LIMIT = 500;
const HISTORY = 50; // messages a room shows from before the page opened it
const GROUP_MS = 5 * 60 * 1000;
const NAME_KEY = "wsrooms.demo.name";
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

const client = connect("/ws");
globalThis.wsrooms = client; // for the curious: try wsrooms.rooms() in the console

const names = new Map();          // connection id -> display name
const conversations = new Map();  // key -> { key, kind: "room" | "dm", title, room?, peer?, items: [], unread }
let activeKey = null;
let myName = cleanName(localStorage.getItem(NAME_KEY)) || randomName();

// ----- names -----

function randomName() {
  const adjectives = ["Quiet", "Brave", "Sunny", "Clever", "Gentle", "Swift", "Lucky", "Curious", "Merry", "Calm"];
  const animals = ["Otter", "Fox", "Heron", "Panda", "Lynx", "Koala", "Robin", "Badger", "Puffin", "Gecko"];
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  return `${pick(adjectives)} ${pick(animals)}`;
}

function cleanName(value) {
  return typeof value === "string" ? value.replace(/[\p{Cc}\p{Cf}]/gu, "").trim().slice(0, 32) : "";
}

function nameOf(id) {
  if (id === client.id) return myName;
  return names.get(id) || `Guest ${id.slice(0, 4)}`;
}

function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((word) => Array.from(word)[0].toUpperCase()).join("") || "?";
}

function hue(id) {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

function avatar(id, name, small = false) {
  const element = document.createElement("span");
  element.className = small ? "avatar small" : "avatar";
  element.setAttribute("aria-hidden", "true");
  element.style.background = `hsl(${hue(id)} 55% 45%)`;
  element.textContent = initials(name);
  return element;
}

function readMessage(payload) {
  try {
    const value = json(payload);
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

function learnName(id, value) {
  const name = cleanName(value);
  if (!name || names.get(id) === name) return false;
  names.set(id, name);
  return true;
}

// ----- conversations -----

const roomKey = (name) => `room:${name}`;
const dmKey = (id) => `dm:${id}`;

function addItem(key, item) {
  const conversation = conversations.get(key);
  if (!conversation) return;
  conversation.items.push(item);
  if (conversation.items.length > MESSAGE_LIMIT) conversation.items.splice(0, conversation.items.length - MESSAGE_LIMIT);
  if (item.type === "message" && item.from !== client.id && key !== activeKey) conversation.unread++;
  render();
}

function openRoom(name) {
  const key = roomKey(name);
  if (!conversations.has(key)) {
    const room = client.join(name, { history: HISTORY }); // throws RangeError for a name over 128 UTF-8 bytes
    conversations.set(key, { key, kind: "room", title: name, room, items: [], unread: 0, joinedOnce: false });
    wireRoom(room, key);
  }
  select(key);
}

function wireRoom(room, key) {
  room.on("open", () => {
    const conversation = conversations.get(key);
    if (!conversation) return;
    room.send("profile", { name: myName });
    addItem(key, { type: "system", text: conversation.joinedOnce ? "You are back in the room." : "You joined the room." });
    conversation.joinedOnce = true;
  });
  room.on("new_member", (id) => {
    room.send("profile", { name: myName }, id); // tell the newcomer who we are
    addItem(key, { type: "presence", id, verb: "joined" });
  });
  room.on("member_left", (id) => addItem(key, { type: "presence", id, verb: "left" }));
  room.on("profile", (payload, from) => {
    if (learnName(from, readMessage(payload).name)) render();
  });
  room.on("chat", (payload, from, frame) => {
    const message = readMessage(payload);
    learnName(from, message.name);
    if (typeof message.text === "string" && message.text) addItem(key, { type: "message", from, text: message.text, at: sentAt(message, frame) });
  });
  room.on("gap", () => addItem(key, { type: "system", text: "Some messages from while you were away could not be recovered." }));
  room.on("close", () => {
    conversations.delete(key);
    if (activeKey === key) activeKey = null;
    selectFallback();
  });
}

function openDirect(peer) {
  const key = dmKey(peer);
  if (!conversations.has(key)) conversations.set(key, { key, kind: "dm", peer, items: [], unread: 0 });
  return key;
}

client.root.on("dm", (payload, from) => {
  const message = readMessage(payload);
  learnName(from, message.name);
  if (typeof message.text !== "string" || !message.text) return;
  addItem(openDirect(from), { type: "message", from, text: message.text, at: sentAt(message) });
});

// A message's time: the sender's, for a line from the room's history; the arrival, for a live one.
function sentAt(message, frame) {
  return frame?.history && Number.isFinite(message.at) ? message.at : Date.now();
}

function select(key) {
  activeKey = key;
  const conversation = conversations.get(key);
  if (conversation) conversation.unread = 0;
  render({ scroll: true });
  $("composer-text").focus();
}

function selectFallback() {
  const next = conversations.get(roomKey("lobby")) ?? [...conversations.values()][0];
  if (next) select(next.key);
  else render();
}

function closeConversation(conversation) {
  if (conversation.kind === "room") {
    conversation.room.leave(); // the room's "close" event removes it
  } else {
    conversations.delete(conversation.key);
    if (activeKey === conversation.key) activeKey = null;
    selectFallback();
  }
}

// Everyone this page can see: the members of the rooms it is in.
function visibleMembers() {
  const seen = new Set();
  for (const conversation of conversations.values()) {
    if (conversation.kind === "room") for (const id of conversation.room.members()) seen.add(id);
  }
  return seen;
}

// ----- rendering -----

function el(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function titleOf(conversation) {
  return conversation.kind === "room" ? conversation.title : nameOf(conversation.peer);
}

function render({ scroll = false } = {}) {
  renderConversations();
  renderChat(scroll);
  renderMembers();
  const unread = [...conversations.values()].reduce((sum, c) => sum + c.unread, 0);
  document.title = `${unread ? `(${unread}) ` : ""}WsRooms chat`;
  $("my-id").textContent = client.id || "—";
  const me = $("my-avatar");
  me.replaceChildren(initials(myName));
  me.style.background = `hsl(${hue(client.id || myName)} 55% 45%)`;
}

function renderConversations() {
  const online = visibleMembers();
  const rooms = [];
  const dms = [];
  for (const conversation of conversations.values()) {
    const item = el("li");
    const open = el("button", "open");
    open.type = "button";
    open.setAttribute("aria-current", String(conversation.key === activeKey));
    if (conversation.kind === "room") {
      open.append(el("span", "sigil", "#"));
    } else {
      const dot = el("span", online.has(conversation.peer) ? "presence" : "presence off");
      dot.setAttribute("aria-hidden", "true");
      open.append(dot);
    }
    open.append(el("span", "label", titleOf(conversation)));
    if (conversation.unread) {
      const badge = el("span", "badge", String(conversation.unread));
      badge.setAttribute("aria-label", `${conversation.unread} unread`);
      open.append(badge);
    }
    open.addEventListener("click", () => select(conversation.key));
    const close = el("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", conversation.kind === "room" ? `Leave ${titleOf(conversation)}` : `Close conversation with ${titleOf(conversation)}`);
    close.title = conversation.kind === "room" ? "Leave room" : "Close";
    close.addEventListener("click", () => closeConversation(conversation));
    item.append(open, close);
    (conversation.kind === "room" ? rooms : dms).push(item);
  }
  $("rooms").replaceChildren(...rooms);
  $("dms").replaceChildren(...dms);
  $("dms-empty").hidden = dms.length > 0;
}

function renderChat(scroll) {
  const conversation = conversations.get(activeKey);
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const composer = $("composer-text");
  const leave = $("leave");

  if (!conversation) {
    $("chat-title").textContent = "No conversation";
    $("chat-subtitle").textContent = "Join a room on the left to start chatting.";
    list.replaceChildren();
    $("empty").hidden = true;
    composer.disabled = true;
    composer.placeholder = "Join a room first";
    leave.hidden = true;
    return;
  }

  const isRoom = conversation.kind === "room";
  $("chat-title").textContent = isRoom ? `# ${conversation.title}` : `@ ${nameOf(conversation.peer)}`;
  if (isRoom) {
    const count = conversation.room.members().length;
    $("chat-subtitle").textContent = conversation.room.open()
      ? `${count} ${count === 1 ? "member" : "members"} here`
      : client.state === "open" ? "joining…" : "offline — you will rejoin when the connection is back";
  } else {
    $("chat-subtitle").textContent = visibleMembers().has(conversation.peer)
      ? "Direct message — only the two of you see it"
      : "Direct message — not in any of your rooms now";
  }
  leave.hidden = false;
  leave.textContent = isRoom ? "Leave room" : "Close";
  composer.disabled = false;
  composer.placeholder = isRoom ? `Message #${conversation.title}` : `Message ${nameOf(conversation.peer)}`;

  const rows = [];
  let previous = null;
  for (const item of conversation.items) {
    if (item.type === "message") {
      const row = el("li", "message");
      const continued = previous?.type === "message" && previous.from === item.from && item.at - previous.at < GROUP_MS;
      if (continued) row.classList.add("continued");
      if (item.from === client.id || item.mine) row.classList.add("mine");
      const name = item.mine ? myName : nameOf(item.from);
      row.append(avatar(item.from, name));
      if (!continued) {
        const meta = el("div", "meta");
        meta.append(el("span", "who", name));
        const when = el("time", "when", timeFormat.format(item.at));
        when.dateTime = new Date(item.at).toISOString();
        meta.append(when);
        row.append(meta);
      }
      row.append(el("p", "text", item.text));
      rows.push(row);
    } else {
      const text = item.type === "presence" ? `${nameOf(item.id)} ${item.verb}` : item.text;
      const row = el("li", "system");
      row.append(el("span", "", text));
      rows.push(row);
    }
    previous = item;
  }
  list.replaceChildren(...rows);
  $("empty").hidden = conversation.items.some((item) => item.type === "message");
  if (scroll || atBottom) list.scrollTop = list.scrollHeight;
}

function renderMembers() {
  const conversation = conversations.get(activeKey);
  const heading = $("members-heading");
  let ids = [];
  if (!conversation) {
    heading.textContent = "Members";
  } else if (conversation.kind === "room") {
    ids = conversation.room.members();
    heading.textContent = `Members — ${ids.length}`;
  } else {
    ids = [client.id, conversation.peer];
    heading.textContent = "In this conversation";
  }
  ids = ids.filter(Boolean).sort((a, b) => (a === client.id ? -1 : b === client.id ? 1 : nameOf(a).localeCompare(nameOf(b))));
  const rows = ids.map((id) => {
    const row = el("li");
    row.append(avatar(id, nameOf(id), true), el("span", "name", nameOf(id)));
    if (id === client.id) {
      row.append(el("span", "you", "you"));
    } else if (conversation.kind === "room") {
      const message = el("button", "", "Message");
      message.type = "button";
      message.setAttribute("aria-label", `Message ${nameOf(id)} privately`);
      message.addEventListener("click", () => select(openDirect(id)));
      row.append(message);
    }
    return row;
  });
  $("members").replaceChildren(...rows);
}

// ----- connection status -----

let countdown = null;

function showStatus(state, label) {
  const status = $("status");
  status.dataset.state = state;
  $("status-text").textContent = label;
  $("retry").hidden = state !== "reconnecting";
}

client.on("open", () => {
  clearInterval(countdown);
  names.set(client.id, myName);
  showStatus("open", "Connected");
  render();
});
client.on("reconnecting", ({ delay }) => {
  clearInterval(countdown);
  const until = Date.now() + delay;
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    showStatus("reconnecting", seconds > 0 ? `Connection lost — reconnecting in ${seconds} s` : "Reconnecting…");
  };
  tick();
  countdown = setInterval(tick, 500);
  render();
});
client.on("id", () => {
  for (const conversation of conversations.values()) {
    if (conversation.kind === "room") addItem(conversation.key, { type: "system", text: "Reconnected (you have a new id)." });
  }
});
client.on("resumed", ({ resumed }) => {
  if (!resumed) return;
  for (const conversation of conversations.values()) {
    if (conversation.kind === "room") addItem(conversation.key, { type: "system", text: "Reconnected: your session resumed." });
  }
});
client.on("close", () => showStatus("closed", "Disconnected"));
$("retry").addEventListener("click", () => client.reconnect());

// ----- forms -----

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("join-room");
  const name = input.value.trim();
  if (!name) return;
  try {
    openRoom(name);
    input.value = "";
  } catch (error) {
    input.setCustomValidity(error instanceof RangeError ? "That name is too long." : String(error.message));
    input.reportValidity();
  }
});
$("join-room").addEventListener("input", (event) => event.target.setCustomValidity(""));

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("composer-text");
  const conversation = conversations.get(activeKey);
  const value = input.value.trim();
  if (!conversation || !value) return;
  const payload = { name: myName, text: value, at: Date.now() };
  try {
    const sent = conversation.kind === "room"
      ? conversation.room.send("chat", payload)
      : client.direct(conversation.peer, "dm", payload);
    if (!sent) throw new Error("not sent");
    // v2: the promise settles with the server's ack; a message kept while offline is sent on the reconnect.
    Promise.resolve(sent).catch((error) => addItem(conversation.key, { type: "system", text: `Not delivered: “${value}” (${error.code ?? error.message}).` }));
  } catch (error) {
    input.setCustomValidity(error instanceof RangeError ? "That message is too long." : "Not connected: the message was not sent.");
    input.reportValidity();
    return;
  }
  input.value = "";
  addItem(conversation.key, { type: "message", from: client.id, mine: true, text: value, at: Date.now() });
  $("messages").scrollTop = $("messages").scrollHeight;
});
$("composer-text").addEventListener("input", (event) => event.target.setCustomValidity(""));

$("leave").addEventListener("click", () => {
  const conversation = conversations.get(activeKey);
  if (conversation) closeConversation(conversation);
});

const nameInput = $("my-name");
nameInput.value = myName;
function rename() {
  const name = cleanName(nameInput.value);
  if (!name) {
    nameInput.value = myName;
    return;
  }
  nameInput.value = name;
  if (name === myName) return;
  myName = name;
  localStorage.setItem(NAME_KEY, name);
  if (client.id) names.set(client.id, name);
  for (const conversation of conversations.values()) {
    if (conversation.kind === "room") conversation.room.send("profile", { name });
  }
  render();
}
$("profile-form").addEventListener("submit", (event) => {
  event.preventDefault();
  rename();
  nameInput.blur();
});
nameInput.addEventListener("change", rename);

// ----- start -----
openRoom("lobby");

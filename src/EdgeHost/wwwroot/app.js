// The try-it page: one WebSocket to this edge host's /ws, rooms and members, chat, direct messages, ping.
// Every text from the network reaches the DOM through textContent only.
import { decodeFrame, frames, payloadJson, payloadText, ROOT_ROOM, ServerEvents } from "./wsrooms-mini.js";

const $ = (id) => document.getElementById(id);
const LOG_LIMIT = 300;
const MESSAGE_LIMIT = 200;

const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
$("endpoint").textContent = url;

let socket = null;
let myId = "";
let selectedRoom = ROOT_ROOM;
let pingSeq = 0;
const pingsSent = new Map(); // payload text -> performance.now() when sent
const rooms = new Map(); // room -> Set of member ids, from join_ack / new_member / member_left

// ----- connection -----

function connect() {
  myId = "";
  rooms.clear();
  selectedRoom = ROOT_ROOM;
  render();
  setStatus("connecting…", "");
  $("reconnect").hidden = true;

  socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => setStatus("connected", "open"));
  socket.addEventListener("message", (e) => receive(e.data));
  socket.addEventListener("close", (e) => {
    setStatus(`closed (${e.code}${e.reason ? ": " + e.reason : ""})`, "closed");
    logLine("err", "×", "", "", `connection closed, code ${e.code}${e.reason ? " " + e.reason : ""}`);
    $("reconnect").hidden = false;
    myId = "";
    rooms.clear();
    render();
  });
}

function send(bytes, shown) {
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    logLine("err", "!", "", "", "not connected");
    return false;
  }
  socket.send(bytes);
  logLine("out", "→", shown.room, shown.event, describe(shown));
  return true;
}

function receive(data) {
  let frame;
  try {
    frame = decodeFrame(data);
  } catch (e) {
    logLine("err", "!", "", "", `${typeof data === "string" ? "text message" : "bad frame"}: ${e.message}`);
    return;
  }
  logLine("in", "←", frame.room, frame.event, describe(frame));

  const { room, event, src, payload } = frame;
  switch (event) {
    case ServerEvents.JoinAck: {
      // The first frame names us: (root, join_ack, "", <own id>, [<own id>]).
      if (!myId) myId = src;
      const ids = payloadJson(payload);
      rooms.set(room, new Set(Array.isArray(ids) ? ids.map(String) : []));
      if (room !== ROOT_ROOM) selectedRoom = room;
      break;
    }
    case ServerEvents.LeaveAck:
      rooms.delete(room);
      if (selectedRoom === room) selectedRoom = ROOT_ROOM;
      break;
    case ServerEvents.NewMember:
      rooms.get(room)?.add(payloadText(payload) ?? "");
      break;
    case ServerEvents.MemberLeft:
      rooms.get(room)?.delete(payloadText(payload) ?? "");
      break;
    case "pong": {
      const text = payloadText(payload) ?? "";
      const sentAt = pingsSent.get(text);
      pingsSent.delete(text);
      $("pong").textContent = sentAt === undefined
        ? `pong: ${text}`
        : `pong "${text}" in ${(performance.now() - sentAt).toFixed(1)} ms`;
      break;
    }
    default:
      addMessage(frame);
  }
  render();
}

// ----- actions -----

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const room = $("join-room").value.trim();
  if (room && send(frames.join(room), { room, event: "join" })) $("join-room").value = "";
});

$("leave").addEventListener("click", () => {
  if (selectedRoom !== ROOT_ROOM) send(frames.leave(selectedRoom), { room: selectedRoom, event: "leave" });
});

$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-text").value;
  const payload = JSON.stringify({ text });
  if (send(frames.broadcast(selectedRoom, "chat", payload), { room: selectedRoom, event: "chat", payload })) {
    addMessage({ room: selectedRoom, event: "chat", dst: "", src: myId, payload, mine: true });
    $("chat-text").value = "";
  }
});

$("direct-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const dst = $("direct-dst").value.trim();
  const event = $("direct-event").value.trim() || "direct";
  const payload = JSON.stringify({ text: $("direct-text").value });
  if (send(frames.direct(ROOT_ROOM, event, dst, payload), { room: ROOT_ROOM, event, dst, payload })) {
    addMessage({ room: ROOT_ROOM, event, dst, src: myId, payload, mine: true });
    $("direct-text").value = "";
  }
});

$("ping-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const payload = $("ping-text").value || `ping #${++pingSeq}`;
  pingsSent.set(payload, performance.now());
  send(frames.broadcast(ROOT_ROOM, "ping", payload), { room: ROOT_ROOM, event: "ping", payload });
});

$("reconnect").addEventListener("click", connect);
$("clear-log").addEventListener("click", () => $("log").replaceChildren());

// ----- rendering (textContent only) -----

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function setStatus(text, className) {
  const status = $("status");
  status.textContent = text;
  status.className = `status ${className}`;
}

function render() {
  $("my-id").textContent = myId || "—";
  if (!rooms.has(selectedRoom)) selectedRoom = ROOT_ROOM;

  $("rooms").replaceChildren(...[...rooms.keys()].map((room) => {
    const button = el("button", room);
    button.type = "button";
    button.setAttribute("aria-pressed", String(room === selectedRoom));
    button.addEventListener("click", () => { selectedRoom = room; render(); });
    const item = el("li");
    item.append(button);
    return item;
  }));

  const members = rooms.get(selectedRoom);
  $("room-title").textContent = members ? selectedRoom : "—";
  $("leave").disabled = !members || selectedRoom === ROOT_ROOM;
  $("member-count").textContent = !members ? "" : selectedRoom === ROOT_ROOM
    ? "Everyone is in root; its member list shows only you (root presence is off by default)."
    : `${members.size} member${members.size === 1 ? "" : "s"}`;
  $("members").replaceChildren(...[...(members ?? [])].sort().map((id) => {
    const item = el("li");
    const button = el("button", id);
    button.type = "button";
    button.title = "Message this member directly";
    button.addEventListener("click", () => { $("direct-dst").value = id; $("direct-text").focus(); });
    item.append(button);
    if (id === myId) item.append(el("span", "you", "me"));
    return item;
  }));
}

function addMessage({ room, event, dst, src, payload, mine = false }) {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const json = payloadJson(bytes);
  const text = typeof json?.text === "string" ? json.text : (payloadText(bytes) ?? `<${bytes.byteLength} bytes>`);
  const who = mine
    ? (dst ? `you → ${dst}` : `you @ ${room}`)
    : (dst ? `${src || "server"} → you` : `${src || "server"} @ ${room}`);
  const item = el("li");
  item.append(el("span", event === "chat" ? who : `${who} [${event}]`, "who"), el("span", text));
  append($("messages"), item, MESSAGE_LIMIT);
}

function describe({ dst = "", src = "", payload }) {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : (payload ?? new Uint8Array(0));
  let shown = payloadText(bytes);
  if (shown === null) {
    shown = [...bytes.subarray(0, 24)].map((b) => b.toString(16).padStart(2, "0")).join(" ") + (bytes.byteLength > 24 ? " …" : "");
  } else if (shown.length > 160) {
    shown = shown.slice(0, 160) + "…";
  }
  return `${dst ? "dst=" + dst + " " : ""}${src ? "src=" + src + " " : ""}${shown}`;
}

function logLine(kind, arrow, room, event, detail) {
  const item = el("li");
  item.append(
    el("span", new Date().toLocaleTimeString(), "muted"),
    el("span", arrow, kind),
    el("span", room),
    el("span", event),
    el("span", detail),
  );
  item.title = `${room} ${event} ${detail}`;
  append($("log"), item, LOG_LIMIT);
}

function append(list, item, limit) {
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.append(item);
  while (list.childElementCount > limit) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

connect();

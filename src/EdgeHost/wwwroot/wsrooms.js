// wsrooms.js — the WsRooms browser client. An ES module, no build step; types in wsrooms.d.ts.
//
//   import roomer from "/wsrooms.js";            // roomer.js's API: roomer(url) returns the root room
//   const root = roomer("/ws");
//   const lobby = root.join("lobby");            // a Room, at once
//   lobby.on("chat", (payload, from) => console.log(from, text(payload)));
//   await lobby.joined;                          // promises beside the events
//   lobby.send("chat", "héllo ☕");               // strings are sent as UTF-8
//
//   import { connect } from "/wsrooms.js";       // or the client object itself
//   const client = connect("/ws", { maxDelay: 10_000 });
//   await client.ready;
//
// What it adds to roomer.js: frames are sized in UTF-8 bytes (non-ASCII names and payloads
// work), a lost connection is retried with exponential backoff and jitter, and every room the application had
// joined is joined again on the new connection (which has a new id: the "id" event says so).
//
// Wire format (docs/protocol.md): five fields, each a big-endian uint32 byte length and that many bytes:
//   | len | room | len | event | len | dst | len | src | len | payload |

const ROOT = "root";
const RESERVED = new Set(["open", "close", "join", "join_ack", "leave", "leave_ack", "new_member", "member_left"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** The protocol's default limits; the server closes a connection that sends more (1009). */
export const LIMITS = Object.freeze({ maxMessageBytes: 64 * 1024, maxRoomBytes: 128, maxEventBytes: 64, maxIdBytes: 64 });

const DEFAULTS = Object.freeze({
  reconnect: true,       // retry a lost connection
  minDelay: 500,         // ms before the first retry
  maxDelay: 15_000,      // ms, the cap of the backoff
  factor: 2,             // each failed attempt multiplies the delay
  jitter: 0.5,           // 0..1: the delay is drawn from [delay × (1 − jitter), delay]
  openTimeout: 10_000,   // ms a connection may take to give us our id before it is retried
  queueLimit: 256,       // frames kept per room while it is not joined yet (sent after the join_ack)
  limits: LIMITS,
  WebSocket: undefined,  // a WebSocket constructor (default: globalThis.WebSocket)
  protocols: undefined,
});

// ----- bytes -----

/** UTF-8 text of a payload (Uint8Array, ArrayBuffer, any view, or a string). */
export function text(payload) {
  if (typeof payload === "string") return payload;
  if (payload == null) return "";
  return decoder.decode(toBytes(payload));
}

/** JSON.parse of a payload's UTF-8 text. */
export function json(payload) {
  return JSON.parse(text(payload));
}

/** The bytes a payload is sent as: strings as UTF-8, views and buffers as they are, null/undefined as nothing, anything else as JSON. */
export function toBytes(payload) {
  if (payload == null) return new Uint8Array(0);
  if (typeof payload === "string") return encoder.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  return encoder.encode(JSON.stringify(payload));
}

/** Encodes one frame. Throws a RangeError when a field or the whole frame is over its limit. */
export function encodeFrame(room, event, dst, src, payload, limits = LIMITS) {
  const fields = [encoder.encode(room), encoder.encode(event), encoder.encode(dst ?? ""), encoder.encode(src ?? ""), toBytes(payload)];
  check(fields[0].length >= 1 && fields[0].length <= limits.maxRoomBytes, `room must be 1–${limits.maxRoomBytes} UTF-8 bytes`);
  check(fields[1].length >= 1 && fields[1].length <= limits.maxEventBytes, `event must be 1–${limits.maxEventBytes} UTF-8 bytes`);
  check(fields[2].length <= limits.maxIdBytes && fields[3].length <= limits.maxIdBytes, `dst and src must be at most ${limits.maxIdBytes} UTF-8 bytes`);
  const size = fields.reduce((sum, field) => sum + 4 + field.length, 0);
  check(size <= limits.maxMessageBytes, `the frame would be ${size} bytes; the limit is ${limits.maxMessageBytes}`);
  const frame = new Uint8Array(size);
  const view = new DataView(frame.buffer);
  let at = 0;
  for (const field of fields) {
    view.setUint32(at, field.length, false);
    frame.set(field, at + 4);
    at += 4 + field.length;
  }
  return frame;
}

/** Decodes one frame (ArrayBuffer or view). Returns null when it is malformed. The payload is a view, not a copy. */
export function decodeFrame(data) {
  const bytes = toBytes(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = [];
  let at = 0;
  for (let i = 0; i < 5; i++) {
    if (at + 4 > bytes.length) return null;
    const length = view.getUint32(at, false);
    at += 4;
    if (length > bytes.length - at) return null;
    fields.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (at !== bytes.length || fields[0].length === 0 || fields[1].length === 0) return null;
  const [room, event, dst, src] = fields.slice(0, 4).map((field) => decoder.decode(field));
  return { room, event, dst, src, payload: fields[4] };
}

function check(ok, message) {
  if (!ok) throw new RangeError(message);
}

// A promise with its resolve and reject, already "handled" so that a rejection nobody awaits is not reported.
function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject, settled: false };
}

function settle(d, ok, value) {
  if (d.settled) return;
  d.settled = true;
  (ok ? d.resolve : d.reject)(value);
}

function socketUrl(url) {
  const base = globalThis.location?.href;
  const target = new URL(url ?? "/ws", base);
  if (target.protocol === "http:") target.protocol = "ws:";
  if (target.protocol === "https:") target.protocol = "wss:";
  return target.href;
}

// ----- events -----

class Emitter {
  #listeners = new Map();

  /** Adds a listener; returns a function that removes it. */
  on(event, handler) {
    if (typeof handler !== "function") throw new TypeError("handler must be a function");
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(handler);
    return () => this.off(event, handler);
  }

  /** Like on(), for one call only. */
  once(event, handler) {
    const off = this.on(event, (...args) => { off(); handler(...args); });
    return off;
  }

  /** Removes a listener. */
  off(event, handler) {
    this.#listeners.get(event)?.delete(handler);
  }

  /** Removes every listener (of one event, or of all). */
  clearListeners(event) {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
  }

  emit(event, ...args) {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(...args);
      } catch (error) {
        // One failing listener must not stop the others or the connection.
        queueMicrotask(() => { throw error; });
      }
    }
  }
}

// ----- rooms -----

/**
 * A room the application joined (the root room is joined by connecting). Events: "open" (joined: also again after a
 * reconnect), "close" (left), "new_member" (id), "member_left" (id), and every custom event as
 * (payload: Uint8Array, senderId: string, message).
 */
export class Room extends Emitter {
  #client;
  #members = [];
  #joined = deferred();
  #leaving = null;
  #queue = [];
  wanted = true;   // the application wants to be in it (false between leave() and the leave_ack)
  isOpen = false;  // a join_ack arrived on the current connection

  constructor(client, name) {
    super();
    this.#client = client;
    this.name = name;
  }

  /** The client this room belongs to. */
  get client() { return this.#client; }

  /** Resolves (with the member ids) when the room is joined on the current connection; rejects if it is left first. */
  get joined() { return this.#joined.promise; }

  /** Joins another room: roomer.js's root.join(name). Returns its Room at once. */
  join(name) { return this.#client.join(name); }

  /** Leaves this room. Resolves when the server acknowledged (or at once when offline). Leaving root does nothing. */
  leave() { return this.#client.leave(this.name); }

  /** Sends an event: to the room's other members, or only to connection dst. Returns false when it was refused or dropped. */
  send(event, payload, dst = "") { return this.#client.send(this.name, event, payload, dst); }

  /** The member ids, from the join_ack and the presence events since (a copy). */
  members() { return [...this.#members]; }

  /** This connection's id ("" before the first connection). */
  id() { return this.#client.id; }

  /** True while the room is joined on an open connection. */
  open() { return this.isOpen && this.#client.state === "open"; }

  /** roomer.js's root-only calls: every room by name, and leave them all. */
  rooms() { return this.#client.rooms(); }

  purge() { return this.#client.purge(); }

  // ----- called by the client -----

  queueOrSend(frame, direct) {
    if (!this.wanted) return false; // being left
    if (this.open() || (direct && this.#client.state === "open")) return this.#client.write(frame);
    if (this.#queue.length >= this.#client.options.queueLimit) return false;
    this.#queue.push(frame);
    return true;
  }

  acknowledged(members) {
    this.#members = members;
    this.isOpen = true;
    settle(this.#joined, true, this.members());
    this.emit("open");
    for (const frame of this.#queue.splice(0)) this.#client.write(frame);
  }

  memberJoined(id) {
    if (!this.#members.includes(id)) this.#members.push(id);
    this.emit("new_member", id);
  }

  memberLeft(id) {
    this.#members = this.#members.filter((member) => member !== id);
    this.emit("member_left", id);
  }

  // The connection dropped: joined again on the next one.
  suspended() {
    this.isOpen = false;
    if (this.#joined.settled) this.#joined = deferred();
  }

  // Left for good (leave_ack, or the client closed).
  closed(reason) {
    this.isOpen = false;
    this.#queue.length = 0;
    settle(this.#joined, false, reason ?? new Error(`left room "${this.name}"`));
    this.leaveDone();
    this.emit("close");
  }

  leaving() {
    this.wanted = false;
    this.isOpen = false;
    this.#queue.length = 0;
    this.#leaving ??= deferred();
    return this.#leaving.promise;
  }

  leaveDone() {
    if (this.#leaving) settle(this.#leaving, true);
    this.#leaving = null;
  }

  // join() again on a room that is being left: a fresh promise for the new join.
  rejoined() {
    this.wanted = true;
    if (this.#joined.settled) this.#joined = deferred();
  }
}

// ----- the client -----

/**
 * One WebSocket connection and its rooms. Events: "state" (state), "open" (id), "id" (newId, oldId: after a
 * reconnect), "disconnect" ({ code, reason }), "reconnecting" ({ attempt, delay }), "close" (closed for good),
 * "warning" (message).
 */
export class WsRoomsClient extends Emitter {
  #url;
  #socket = null;
  #rooms = new Map();
  #ready = deferred();
  #attempt = 0;
  #timer = null;
  #openTimer = null;
  #onOnline = () => { if (this.state === "reconnecting") this.#retryNow(); };
  state = "connecting";  // "connecting" | "open" | "reconnecting" | "closed"
  id = "";

  constructor(url, options = {}) {
    super();
    this.options = { ...DEFAULTS, ...options, limits: { ...LIMITS, ...options.limits } };
    this.#url = socketUrl(url);
    this.root = new Room(this, ROOT);
    this.#rooms.set(ROOT, this.root);
    globalThis.addEventListener?.("online", this.#onOnline);
    this.#connect();
  }

  /** The WebSocket URL. */
  get url() { return this.#url; }

  /** Resolves with the id once the connection is open (now, or after the reconnect under way); rejects after close(). */
  get ready() { return this.#ready.promise; }

  /** Joins a room (roomer.js's root.join): returns its Room at once; await room.joined for the join_ack. */
  join(name) {
    if (typeof name !== "string") throw new TypeError("a room name is a string");
    if (this.state === "closed") throw new Error("the client was closed");
    const bytes = encoder.encode(name).length;
    check(bytes >= 1 && bytes <= this.options.limits.maxRoomBytes, `room must be 1–${this.options.limits.maxRoomBytes} UTF-8 bytes`);
    let room = this.#rooms.get(name);
    if (room && room.wanted) return room;
    if (room) {
      room.rejoined();  // joined again before the leave_ack: keep the object, join once more
    } else {
      room = new Room(this, name);
      this.#rooms.set(name, room);
    }
    if (this.state === "open") this.#sendJoin(name);
    return room;
  }

  /** Leaves a room by name. Resolves when acknowledged. */
  leave(name) {
    const room = this.#rooms.get(name);
    if (!room || name === ROOT) return Promise.resolve();
    const done = room.leaving();
    if (this.state === "open") {
      // Also when the join is still in flight: the server answers join_ack (ignored), then leave_ack.
      this.write(encodeFrame(name, "leave", this.id, this.id, this.id));
    } else {
      // Offline: the server already dropped this connection from its rooms.
      this.#rooms.delete(name);
      room.closed();
    }
    return done;
  }

  /** Leaves every room but root. */
  purge() {
    return Promise.all([...this.#rooms.keys()].filter((name) => name !== ROOT).map((name) => this.leave(name)));
  }

  /** Every room by name, root included (a copy). */
  rooms() {
    return Object.fromEntries(this.#rooms);
  }

  /** The Room of that name, if the application joined it. */
  room(name) {
    return this.#rooms.get(name);
  }

  /**
   * Sends (room, event, dst, own id, payload). Reserved events are refused. A room not joined yet keeps the frame
   * until its join_ack (at most queueLimit frames); a direct message waits only for the connection. Returns false
   * when the frame was refused or dropped. Throws RangeError when it is over a size limit.
   */
  send(room, event, payload, dst = "") {
    if (RESERVED.has(event)) {
      this.#warn(`"${event}" is reserved by the protocol and is not sent`);
      return false;
    }
    const target = this.#rooms.get(room);
    const frame = encodeFrame(room, event, dst, this.id, payload, this.options.limits);
    if (target) return target.queueOrSend(frame, Boolean(dst));
    if (!dst) {
      this.#warn(`not in room "${room}": join it before broadcasting`);
      return false;
    }
    return this.state === "open" ? this.write(frame) : false;
  }

  /** Sends a direct message to one connection (in root unless a room is given). */
  direct(dst, event, payload, room = ROOT) {
    return this.send(room, event, payload, dst);
  }

  /** Closes for good: no reconnect; every room emits "close" and pending promises reject. */
  close(code = 1000, reason = "") {
    if (this.state === "closed") return;
    this.#setState("closed");
    clearTimeout(this.#timer);
    clearTimeout(this.#openTimer);
    globalThis.removeEventListener?.("online", this.#onOnline);
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      this.#detach(socket);
      try { socket.close(code, reason); } catch { socket.close(); }
    }
    const error = new Error("the client was closed");
    if (this.#ready.settled) this.#ready = deferred();
    settle(this.#ready, false, error);
    for (const room of this.#rooms.values()) room.closed(error);
    this.#rooms.clear();
    this.emit("close");
  }

  // ----- the connection -----

  write(frame) {
    const socket = this.#socket;
    if (!socket || socket.readyState !== 1) return false;
    socket.send(frame);
    return true;
  }

  #connect() {
    const WebSocketClass = this.options.WebSocket ?? globalThis.WebSocket;
    let socket;
    try {
      socket = new WebSocketClass(this.#url, this.options.protocols);
    } catch (error) {
      this.#warn(`cannot open ${this.#url}: ${error.message}`);
      this.#scheduleReconnect();
      return;
    }
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = (event) => this.#lost(socket, event.code, event.reason);
    socket.onerror = () => {};  // always followed by a close event
    clearTimeout(this.#openTimer);
    this.#openTimer = setTimeout(() => {
      if (this.#socket === socket && this.state !== "open") {
        this.#detach(socket);
        socket.close();
        this.#lost(socket, 4000, "no answer from the server");
      }
    }, this.options.openTimeout);
  }

  #detach(socket) {
    socket.onmessage = socket.onclose = socket.onerror = null;
  }

  #lost(socket, code, reason) {
    if (socket !== this.#socket || this.state === "closed") return;
    this.#detach(socket);
    this.#socket = null;
    clearTimeout(this.#openTimer);
    for (const [name, room] of this.#rooms) {
      if (room.wanted) {
        room.suspended();
      } else {
        // Being left: the server dropped the connection from every room, so it is left.
        this.#rooms.delete(name);
        room.closed();
      }
    }
    if (this.#ready.settled) this.#ready = deferred();
    this.emit("disconnect", { code, reason });
    if (this.options.reconnect) this.#scheduleReconnect();
    else this.close();
  }

  /** While reconnecting: try now instead of waiting for the backoff. */
  reconnect() {
    if (this.state === "reconnecting") this.#retryNow();
  }

  #scheduleReconnect() {
    const { minDelay, maxDelay, factor, jitter } = this.options;
    const ceiling = Math.min(maxDelay, minDelay * factor ** this.#attempt);
    const delay = Math.round(ceiling * (1 - jitter * Math.random()));
    this.#attempt++;
    this.#setState("reconnecting");
    this.emit("reconnecting", { attempt: this.#attempt, delay });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #retryNow() {
    clearTimeout(this.#timer);
    this.#connect();
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  #sendJoin(name) {
    this.write(encodeFrame(name, "join", this.id, this.id, this.id));
  }

  #receive(data) {
    if (typeof data === "string") {
      this.#warn("ignored a text message: the protocol is binary");
      return;
    }
    const frame = decodeFrame(data);
    if (!frame) {
      this.#warn("ignored a malformed frame");
      return;
    }
    const room = this.#rooms.get(frame.room);
    if (!room) {
      // The protocol's own events may trail a leave; anything else for an unknown room is worth a word.
      if (!RESERVED.has(frame.event)) this.#warn(`ignored "${frame.event}" for room "${frame.room}", which is not joined`);
      return;
    }
    switch (frame.event) {
      case "join_ack":
        if (room === this.root) this.#connected(frame);
        else if (room.wanted) room.acknowledged(parseMembers(frame.payload));
        return;
      case "leave_ack":
        if (room === this.root) return;
        if (room.wanted) {
          room.leaveDone();  // joined again since: that join's ack follows
          return;
        }
        this.#rooms.delete(frame.room);
        room.closed();
        return;
      case "new_member":
        room.memberJoined(text(frame.payload));
        return;
      case "member_left":
        room.memberLeft(text(frame.payload));
        return;
      default:
        room.emit(frame.event, frame.payload, frame.src, frame);
    }
  }

  // Root's join_ack: this connection's id. Every room the application wants is joined (again).
  #connected(frame) {
    clearTimeout(this.#openTimer);
    const previous = this.id;
    this.id = frame.src;
    this.#attempt = 0;
    this.#setState("open");
    if (previous && previous !== this.id) this.emit("id", this.id, previous);
    for (const [name, room] of this.#rooms) {
      if (name !== ROOT && room.wanted) this.#sendJoin(name);
    }
    settle(this.#ready, true, this.id);
    this.root.acknowledged(parseMembers(frame.payload));
    this.emit("open", this.id);
  }

  #warn(message) {
    console.warn(`wsrooms: ${message}`);
    this.emit("warning", message);
  }
}

function parseMembers(payload) {
  try {
    const members = json(payload);
    return Array.isArray(members) ? members.filter((id) => typeof id === "string") : [];
  } catch {
    return [];
  }
}

/** Connects and returns the client (see WsRoomsClient). The URL may be relative to the page: "/ws" is the default. */
export function connect(url, options) {
  return new WsRoomsClient(url, options);
}

/** roomer.js's entry point: connects and returns the root room. */
export default function roomer(url, options) {
  return connect(url, options).root;
}

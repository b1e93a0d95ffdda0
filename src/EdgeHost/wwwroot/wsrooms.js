// wsrooms.js — the WsRooms browser client. An ES module, no build step; types in wsrooms.d.ts.
//
//   import { connect, text } from "/wsrooms.js"; // the client object, speaking wsrooms.v2
//   const client = connect("/ws");
//   const lobby = client.join("lobby", { history: 50 }); // a Room at once; its last 50 frames come first
//   lobby.on("chat", (payload, from, frame) => console.log(frame.seq, from, text(payload)));
//   const seq = await lobby.send("chat", "héllo ☕");     // resolves with the frame's position in the room's log
//   const last = await lobby.history(20);                 // the room's last 20 frames
//
//   import roomer from "/wsrooms.js";            // roomer.js's API, on protocol v1: roomer(url) returns the root room
//   const root = roomer("/ws");
//   const room = root.join("lobby");
//   room.send("chat", "hi");                     // true when sent
//
// Both measure frames in UTF-8 bytes and retry a lost connection with exponential backoff and jitter. A v1
// connection comes back under a new id and joins its rooms again. A v2 connection resumes its session: the same id,
// the same rooms, every frame it missed in order and once, and every publish the server had not acknowledged sent
// again under its message id, so that each lands once.
//
// Wire format (docs/protocol.md): each field a big-endian uint32 byte length and that many bytes.
//   v1: | len | room | len | event | len | dst | len | src | len | payload |
//   v2: the same, then | len | meta |: a message id from the client, a position (8 bytes) from the server.

const ROOT = "root";
const V2 = "wsrooms.v2";
const RESERVED = new Set(["open", "close", "join", "join_ack", "leave", "leave_ack", "new_member", "member_left"]);
const RESERVED_PREFIX = "wsrooms.";
// Names of the events this module emits on a Room itself: a frame from the server with such a name is not the
// application's and must not look like the room's own lifecycle.
const ROOM_LIFECYCLE = new Set(["open", "close", "gap"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** The protocol's default limits; the server closes a connection that sends more (1009). */
export const LIMITS = Object.freeze({ maxMessageBytes: 64 * 1024, maxRoomBytes: 128, maxEventBytes: 64, maxIdBytes: 64, maxMetaBytes: 64 });

const DEFAULTS = Object.freeze({
  version: 2,            // the protocol asked for: 2 (wsrooms.v2) or 1
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

/**
 * Encodes one frame: five fields (v1), or six when `meta` is given (v2; a string or bytes, "" for none). Throws a
 * RangeError when a field or the whole frame is over its limit.
 */
export function encodeFrame(room, event, dst, src, payload, limits = LIMITS, meta = undefined) {
  const fields = [encoder.encode(room), encoder.encode(event), encoder.encode(dst ?? ""), encoder.encode(src ?? ""), toBytes(payload)];
  check(fields[0].length >= 1 && fields[0].length <= limits.maxRoomBytes, `room must be 1–${limits.maxRoomBytes} UTF-8 bytes`);
  check(fields[1].length >= 1 && fields[1].length <= limits.maxEventBytes, `event must be 1–${limits.maxEventBytes} UTF-8 bytes`);
  check(fields[2].length <= limits.maxIdBytes && fields[3].length <= limits.maxIdBytes, `dst and src must be at most ${limits.maxIdBytes} UTF-8 bytes`);
  if (meta !== undefined) {
    const bytes = toBytes(meta);
    const maxMeta = limits.maxMetaBytes ?? LIMITS.maxMetaBytes;
    check(bytes.length <= maxMeta, `meta must be at most ${maxMeta} bytes`);
    fields.push(bytes);
  }
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

/**
 * Decodes one frame (ArrayBuffer or view) of protocol `version` (1: five fields, 2: six). Returns null when it is
 * malformed. The payload is a view, not a copy. A v2 frame also has `meta` (bytes) and `seq`: the position that an
 * 8-byte server meta carries, as a BigInt (positions can pass 2^53), or null.
 */
export function decodeFrame(data, version = 1) {
  const bytes = toBytes(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = version === 2 ? 6 : 5;
  const fields = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) return null;
    const length = view.getUint32(at, false);
    at += 4;
    if (length > bytes.length - at) return null;
    fields.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (at !== bytes.length || fields[0].length === 0 || fields[1].length === 0) return null;
  const [room, event, dst, src] = fields.slice(0, 4).map((field) => decoder.decode(field));
  if (version !== 2) return { room, event, dst, src, payload: fields[4] };
  const meta = fields[5];
  const seq = meta.length === 8 ? new DataView(meta.buffer, meta.byteOffset, 8).getBigUint64(0, false) : null;
  return { room, event, dst, src, payload: fields[4], meta, seq };
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

function rejected(error) {
  const d = deferred();
  settle(d, false, error);
  return d.promise;
}

function socketUrl(url) {
  const base = globalThis.location?.href;
  const target = new URL(url ?? "/ws", base);
  if (target.protocol === "http:") target.protocol = "ws:";
  if (target.protocol === "https:") target.protocol = "wss:";
  return target.href;
}

function resumeUrl(url) {
  const target = new URL(url);
  target.searchParams.set("resume", "1");
  return target.href;
}

const maxOf = (a, b) => (a == null ? b : b == null ? a : a > b ? a : b);

// JSON numbers for positions are read from the text itself: JSON.parse would round a position past 2^53.
function positionField(payloadText, key) {
  const match = new RegExp(`"${key}"\\s*:\\s*(\\d+)`).exec(payloadText);
  return match ? BigInt(match[1]) : null;
}

function parseObject(payload) {
  try {
    const value = json(payload);
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** An Error for a frame the server refused: `code` is the protocol's code (not_member, publish_denied, …). */
export class WsRoomsError extends Error {
  constructor(code, message) {
    super(message ?? code);
    this.name = "WsRoomsError";
    this.code = code;
  }
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
 * reconnect), "close" (left), "new_member" (id), "member_left" (id), "gap" (v2: frames were missed that the server no
 * longer holds; reload the room's state), and every custom event as (payload: Uint8Array, senderId: string, frame).
 */
export class Room extends Emitter {
  #client;
  #members = [];
  #joined = deferred();
  #leaving = null;
  #queue = [];
  #historyRequests = [];
  #floor = null;          // v2: the position seen before the last join_ack; history frames at or below it were seen
  #joinPosition = null;   // v2: the last join_ack's position; frames below it are history
  wanted = true;   // the application wants to be in it (false between leave() and the leave_ack)
  isOpen = false;  // a join_ack arrived on the current connection (or the session resumed it)
  position = null; // v2: the last position of this room's log this client knows of (a BigInt), or null

  constructor(client, name, options = {}) {
    super();
    this.#client = client;
    this.name = name;
    this.options = { history: 0, ...options };
  }

  /** The client this room belongs to. */
  get client() { return this.#client; }

  /** Resolves (with the member ids) when the room is joined on the current connection; rejects if it is left first. */
  get joined() { return this.#joined.promise; }

  /** Joins another room: roomer.js's root.join(name). Returns its Room at once. */
  join(name, options) { return this.#client.join(name, options); }

  /** Leaves this room. Resolves when the server acknowledged (or at once when offline). Leaving root does nothing. */
  leave() { return this.#client.leave(this.name); }

  /**
   * Sends an event: to the room's other members, or only to connection dst. v1: returns false when it was refused or
   * dropped. v2: returns a promise of the frame's position (a BigInt; null on a server that speaks only v1).
   */
  send(event, payload, dst = "") { return this.#client.send(this.name, event, payload, dst); }

  /**
   * v2: the room's last `n` frames (at most n, oldest first, each with its `seq`), as the server's log holds them.
   * Joins first if the room is not joined yet. Rejects on a v1 connection or when the connection drops meanwhile.
   */
  async history(n) {
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError("history(n) needs a positive whole number");
    if (this.name === ROOT) throw new Error("root has no log");
    await this.joined;
    const request = { n, until: null, frames: [], acks: 0, done: deferred() };
    if (!this.#client.requestHistory(this, n)) throw new Error("history needs a wsrooms.v2 connection");
    this.#historyRequests.push(request);
    return request.done.promise;
  }

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

  // A join_ack: true when it opened the room, false when it answered a history request.
  acknowledged(members, seq = null) {
    const request = this.#historyRequests[0];
    if (request && request.acks < 2) {
      this.#members = members;
      this.position = maxOf(this.position, seq);
      if (++request.acks === 1) {
        request.until = seq;   // the history join's ack: what follows at or below it is the history
      } else {
        this.#historyRequests.shift();  // the marker join's ack: the history is complete
        settle(request.done, true, request.frames);
      }
      return false;
    }
    this.#members = members;
    if (seq != null) {
      this.#floor = this.position;
      this.#joinPosition = seq;
      this.position = maxOf(this.position, seq);
    }
    this.isOpen = true;
    settle(this.#joined, true, this.members());
    this.emit("open");
    for (const frame of this.#queue.splice(0)) this.#client.write(frame);
    return true;
  }

  // The session resumed on a new socket: still a member, nothing missed.
  resumed() {
    this.isOpen = true;
    settle(this.#joined, true, this.members());
    this.emit("open");
  }

  /**
   * Where a positioned frame of this room goes: "live" (emit it), "history" (emit it, flagged), "collected" (a history
   * request took it) or "seen" (already delivered: drop it).
   */
  classify(frame) {
    const seq = frame.seq;
    if (seq == null) return "live";
    const request = this.#historyRequests[0];
    if (request && request.acks === 1 && request.until != null && seq <= request.until) {
      request.frames.push({ ...frame, payload: frame.payload.slice() });
      return "collected";
    }
    if (this.position == null || seq > this.position) {
      this.position = seq;
      return "live";
    }
    if (this.#joinPosition != null && seq < this.#joinPosition && (this.#floor == null || seq > this.#floor)) return "history";
    return "seen";
  }

  memberJoined(id) {
    if (!this.#members.includes(id)) this.#members.push(id);
    this.emit("new_member", id);
  }

  memberLeft(id) {
    this.#members = this.#members.filter((member) => member !== id);
    this.emit("member_left", id);
  }

  // The connection dropped: joined again (v1) or resumed (v2) on the next one.
  suspended() {
    this.isOpen = false;
    if (this.#joined.settled) this.#joined = deferred();
    for (const request of this.#historyRequests.splice(0)) settle(request.done, false, new Error("the connection was lost"));
  }

  // Left for good (leave_ack, or the client closed).
  closed(reason) {
    this.isOpen = false;
    this.#queue.length = 0;
    settle(this.#joined, false, reason ?? new Error(`left room "${this.name}"`));
    for (const request of this.#historyRequests.splice(0)) settle(request.done, false, reason ?? new Error(`left room "${this.name}"`));
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
 * reconnect that could not resume), "resumed" ({ resumed, rooms }: v2, after every reconnect), "disconnect"
 * ({ code, reason }), "reconnecting" ({ attempt, delay }), "close" (closed for good), "warning" (message).
 */
export class WsRoomsClient extends Emitter {
  #url;
  #socket = null;
  #wire = 1;                // the protocol of the current socket: 2 when the server selected wsrooms.v2
  #resuming = false;        // the current socket is a resume socket waiting for wsrooms.resumed
  #resumeJoinAck = null;    // that socket's root join_ack, handled once wsrooms.resumed says what it is
  #session = null;          // v2: { token, graceMs, lostAt }
  #pending = new Map();     // v2: mid -> a publish not yet acknowledged, in the order it was sent
  #nextMid = 1;
  #ownIds = new Set();      // every id this client has had: their broadcasts are its own
  #directSeen = null;       // v2: the last position of this session's direct log received
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
    if (this.options.version !== 1 && this.options.version !== 2) throw new RangeError("version is 1 or 2");
    this.#url = socketUrl(url);
    this.root = new Room(this, ROOT);
    this.#rooms.set(ROOT, this.root);
    globalThis.addEventListener?.("online", this.#onOnline);
    this.#connect();
  }

  /** The WebSocket URL. */
  get url() { return this.#url; }

  /** The protocol asked for (options.version): 2 or 1. */
  get version() { return this.options.version; }

  /** The protocol the current connection speaks: 2 when the server selected wsrooms.v2, else 1. */
  get protocol() { return this.#wire; }

  /** Resolves with the id once the connection is open (now, or after the reconnect under way); rejects after close(). */
  get ready() { return this.#ready.promise; }

  /**
   * Joins a room (roomer.js's root.join): returns its Room at once; await room.joined for the join_ack. v2 option
   * `history: n`: the join brings the room's last n frames first, emitted as their events with `frame.history` true.
   */
  join(name, options = undefined) {
    if (typeof name !== "string") throw new TypeError("a room name is a string");
    if (this.state === "closed") throw new Error("the client was closed");
    const bytes = encoder.encode(name).length;
    check(bytes >= 1 && bytes <= this.options.limits.maxRoomBytes, `room must be 1–${this.options.limits.maxRoomBytes} UTF-8 bytes`);
    let room = this.#rooms.get(name);
    if (room && room.wanted) return room;
    if (room) {
      room.rejoined();  // joined again before the leave_ack: keep the object, join once more
    } else {
      room = new Room(this, name, options);
      this.#rooms.set(name, room);
    }
    if (this.state === "open") this.#sendJoin(room, false);
    return room;
  }

  /** Leaves a room by name. Resolves when acknowledged. */
  leave(name) {
    const room = this.#rooms.get(name);
    if (!room || name === ROOT) return Promise.resolve();
    const done = room.leaving();
    this.#dropPending(name, new Error(`left room "${name}"`));
    if (this.state === "open") {
      // Also when the join is still in flight: the server answers join_ack (ignored), then leave_ack.
      this.#writeControl(name, "leave");
    } else {
      // Offline. v1: the server already dropped this connection from its rooms. v2: a resume leaves it then.
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
   * until its join_ack (at most queueLimit frames); a direct message waits only for the connection. Throws
   * RangeError when it is over a size limit.
   * v1 (version 1): returns false when the frame was refused or dropped.
   * v2: returns a promise of the frame's position from the server's wsrooms.ack (null when the server speaks only
   * v1); it rejects with a WsRoomsError when the server refused the frame. Until that ack the frame is kept and sent
   * again after a reconnect, under the same message id, so it lands once.
   */
  send(room, event, payload, dst = "") {
    if (this.options.version === 1) return this.#sendV1(room, event, payload, dst);
    if (RESERVED.has(event) || event.startsWith(RESERVED_PREFIX)) {
      this.#warn(`"${event}" is reserved by the protocol and is not sent`);
      return rejected(new WsRoomsError("reserved", `"${event}" is reserved by the protocol`));
    }
    if (this.state === "closed") return rejected(new Error("the client was closed"));
    const target = this.#rooms.get(room);
    const mid = `m${(this.#nextMid++).toString(36)}`;
    encodeFrame(room, event, dst, this.id, payload, this.options.limits, mid); // a RangeError now, not at a later write
    if (!target && !dst) {
      this.#warn(`not in room "${room}": join it before broadcasting`);
      return rejected(new WsRoomsError("not_member", `not in room "${room}"`));
    }
    if (target && !target.wanted) return rejected(new Error(`room "${room}" is being left`));
    const waiting = [...this.#pending.values()].filter((entry) => entry.room === room && !entry.written).length;
    if (waiting >= this.options.queueLimit) return rejected(new Error(`${waiting} frames already wait for room "${room}"`));
    const entry = { room, event, dst, payload: toBytes(payload).slice(), mid, written: false, done: deferred() };
    this.#pending.set(mid, entry);
    this.#flushPending();
    return entry.done.promise;
  }

  #sendV1(room, event, payload, dst) {
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
    this.#session = null;
    if (socket) {
      this.#detach(socket);
      try { socket.close(code, reason); } catch { socket.close(); }
    }
    const error = new Error("the client was closed");
    if (this.#ready.settled) this.#ready = deferred();
    settle(this.#ready, false, error);
    for (const entry of this.#pending.values()) settle(entry.done, false, error);
    this.#pending.clear();
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

  // A frame of the protocol's own (join, leave), in the current socket's version.
  #writeControl(room, event, payload) {
    if (this.#wire === 2) return this.write(encodeFrame(room, event, "", this.id, payload ?? "", this.options.limits, ""));
    return this.write(encodeFrame(room, event, this.id, this.id, this.id));
  }

  #connect() {
    const WebSocketClass = this.options.WebSocket ?? globalThis.WebSocket;
    const session = this.#session;
    const resume = this.options.version === 2 && session != null && Date.now() - session.lostAt < session.graceMs;
    if (!resume) this.#session = null;
    const protocols = this.options.version === 2
      ? [V2, ...[this.options.protocols ?? []].flat().filter((p) => p !== V2)]
      : this.options.protocols;
    let socket;
    try {
      socket = new WebSocketClass(resume ? resumeUrl(this.#url) : this.#url, protocols);
    } catch (error) {
      this.#warn(`cannot open ${this.#url}: ${error.message}`);
      this.#scheduleReconnect();
      return;
    }
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    this.#wire = 1;
    this.#resuming = false;
    this.#resumeJoinAck = null;
    socket.onopen = () => this.#opened(socket, resume);
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = (event) => this.#lost(socket, event.code, event.reason);
    socket.onerror = () => {};  // always followed by a close event
    clearTimeout(this.#openTimer);
    this.#openTimer = setTimeout(() => {
      if (this.#socket === socket && this.state !== "open") {
        if (this.#resuming) this.#session = null;  // no answer to the resume: the next attempt connects afresh
        this.#detach(socket);
        socket.close();
        this.#lost(socket, 4000, "no answer from the server");
      }
    }, this.options.openTimeout);
  }

  // The upgrade succeeded. A server that did not select wsrooms.v2 speaks v1 on this socket, resume or not.
  #opened(socket, resume) {
    if (socket !== this.#socket) return;
    this.#wire = socket.protocol === V2 ? 2 : 1;
    if (this.#wire !== 2) {
      this.#session = null;
      return;
    }
    if (!resume) return;
    this.#resuming = true;
    const rooms = [];
    for (const [name, room] of this.#rooms) {
      if (name !== ROOT && room.position != null) rooms.push(`${JSON.stringify(name)}:${room.position}`);
    }
    // Written by hand: positions are BigInts, which JSON.stringify refuses and JSON numbers would round. Direct
    // position 0 means none received yet: the server then replays its direct log from the start.
    const payload = `{"token":${JSON.stringify(this.#session.token)},"rooms":{${rooms.join(",")}},"direct":${this.#directSeen ?? "0"}}`;
    this.write(encodeFrame(ROOT, "wsrooms.resume", "", "", payload, this.options.limits, ""));
  }

  #detach(socket) {
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
  }

  #lost(socket, code, reason) {
    if (socket !== this.#socket || this.state === "closed") return;
    this.#detach(socket);
    this.#socket = null;
    clearTimeout(this.#openTimer);
    // 1008 on a resume socket: the resume was refused. 4001: another socket took this session over.
    if (this.#session && (code === 1008 || code === 4001)) this.#session = null;
    // The grace period runs from the first loss: a failed resume attempt does not extend it.
    if (this.#session && (this.state === "open" || !this.#session.lostAt)) this.#session.lostAt = Date.now();
    for (const [name, room] of this.#rooms) {
      if (room.wanted) {
        room.suspended();
      } else {
        // Being left. v1: the server dropped the connection from every room, so it is left. v2: a resume leaves it.
        this.#rooms.delete(name);
        room.closed();
      }
    }
    for (const entry of this.#pending.values()) entry.written = false;  // sent again on the next connection
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

  // A join: v2 may ask for history. `rejoin`: the room was joined on an earlier session that is gone; ask for every
  // frame since the last one this client has (the server answers history_gone, a "gap", when it no longer has them).
  #sendJoin(room, rejoin) {
    if (this.#wire !== 2) {
      this.#writeControl(room.name, "join");
      return;
    }
    let payload = "";
    if (rejoin && room.position != null) payload = `{"since":${room.position}}`;
    else if (room.options.history > 0) payload = `{"history":${room.options.history}}`;
    this.#writeControl(room.name, "join", payload);
  }

  // Room.history: a join that asks for history, then a plain join whose join_ack marks where the history ends.
  requestHistory(room, n) {
    if (this.#wire !== 2 || this.state !== "open") return false;
    this.#writeControl(room.name, "join", `{"history":${n}}`);
    this.#writeControl(room.name, "join", "");
    return true;
  }

  // Writes every publish that can go now, in the order the application sent them: a room's once it is open, a
  // direct message once the connection is. A v1 server has no acks: its publishes resolve when written.
  #flushPending() {
    if (this.state !== "open" || !this.#socket) return;
    for (const entry of [...this.#pending.values()]) {
      if (entry.written) continue;
      const room = this.#rooms.get(entry.room);
      if (!entry.dst && !room?.isOpen) continue;
      const v2 = this.#wire === 2;
      const frame = encodeFrame(entry.room, entry.event, entry.dst, this.id, entry.payload, this.options.limits, v2 ? entry.mid : undefined);
      if (!this.write(frame)) return;
      if (v2) {
        entry.written = true;
      } else {
        this.#pending.delete(entry.mid);
        settle(entry.done, true, null);
      }
    }
  }

  #dropPending(roomName, error) {
    for (const [mid, entry] of this.#pending) {
      if (entry.room === roomName && !entry.dst && !entry.written) {
        this.#pending.delete(mid);
        settle(entry.done, false, error);
      }
    }
  }

  #receive(data) {
    if (typeof data === "string") {
      this.#warn("ignored a text message: the protocol is binary");
      return;
    }
    const frame = decodeFrame(data, this.#wire);
    if (!frame) {
      this.#warn("ignored a malformed frame");
      return;
    }
    if (this.#wire === 2 && frame.event.startsWith(RESERVED_PREFIX) && this.#protocolFrame(frame)) return;
    const room = this.#rooms.get(frame.room);
    if (!room) {
      // The protocol's own events may trail a leave; anything else for an unknown room is worth a word.
      if (!RESERVED.has(frame.event) && !frame.event.startsWith(RESERVED_PREFIX)) this.#warn(`ignored "${frame.event}" for room "${frame.room}", which is not joined`);
      return;
    }
    switch (frame.event) {
      case "join_ack":
        if (room === this.root) {
          if (this.#resuming && frame.src === this.id) {
            this.#resumeJoinAck = frame;  // the same id: wsrooms.resumed follows with the rooms
          } else if (this.#resuming) {
            // A new id: the resume failed (or the server ignored it), this is a fresh session.
            this.#resuming = false;
            this.#connected(frame);
            this.emit("resumed", { resumed: false, rooms: {} });
          } else {
            this.#connected(frame);
          }
        } else if (room.wanted && room.acknowledged(parseMembers(frame.payload), frame.seq ?? null)) {
          this.#flushPending();
        }
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
      case "member_left":
        if (room.classify(frame) !== "live") return;
        if (frame.event === "new_member") room.memberJoined(text(frame.payload));
        else room.memberLeft(text(frame.payload));
        return;
    }
    if (ROOM_LIFECYCLE.has(frame.event)) {
      this.#warn(`ignored "${frame.event}" from the server: the name is the room's own event`);
      return;
    }
    if (frame.event.startsWith(RESERVED_PREFIX) && frame.event !== "wsrooms.error") return;  // reserved, not for the application
    if (frame.seq != null) {
      if (frame.dst) {
        // A direct message: its position is in this session's direct log.
        if (this.#directSeen != null && frame.seq <= this.#directSeen) return;
        this.#directSeen = frame.seq;
      } else {
        const kind = room.classify(frame);
        if (kind === "seen" || kind === "collected") return;
        if (kind === "history") frame.history = true;
        // A frame of an earlier id of this client, in a replay after a lost session: its own broadcast.
        if (this.#ownIds.has(frame.src) && frame.src !== this.id) return;
      }
    }
    room.emit(frame.event, frame.payload, frame.src, frame);
  }

  // v2's own frames. Returns true when handled here; wsrooms.error goes on to the room's listeners.
  #protocolFrame(frame) {
    switch (frame.event) {
      case "wsrooms.session": {
        const info = parseObject(frame.payload);
        if (typeof info.token === "string") this.#session = { token: info.token, graceMs: Number(info.grace_ms) || 0, lostAt: 0 };
        return true;
      }
      case "wsrooms.resumed":
        this.#onResumed(parseObject(frame.payload));
        return true;
      case "wsrooms.ack":
        this.#onAck(frame);
        return true;
      case "wsrooms.error": {
        const info = parseObject(frame.payload);
        if (info.code === "history_gone") this.#rooms.get(frame.room)?.emit("gap", { reason: "history_gone" });
        return false;
      }
      default:
        return true;  // reserved by the protocol; nothing for this client version
    }
  }

  #onAck(frame) {
    const payloadText = text(frame.payload);
    const info = parseObject(frame.payload);
    const entry = typeof info.mid === "string" ? this.#pending.get(info.mid) : undefined;
    if (!entry) return;  // an ack repeated after a resume, or of a frame that carried no mid
    this.#pending.delete(info.mid);
    if (typeof info.error === "string") {
      settle(entry.done, false, new WsRoomsError(info.error, `the server refused "${entry.event}" in "${entry.room}": ${info.error}`));
      return;
    }
    const seq = positionField(payloadText, "seq");
    if (!entry.dst) {
      const room = this.#rooms.get(entry.room);
      if (room) room.position = maxOf(room.position, seq);
    }
    settle(entry.done, true, seq);
  }

  #onResumed(info) {
    const joinAck = this.#resumeJoinAck;
    this.#resuming = false;
    this.#resumeJoinAck = null;
    if (!joinAck) return;
    if (info.resumed !== true) {
      // A fresh session (its wsrooms.session came before this): as any new connection.
      this.#connected(joinAck);
      this.emit("resumed", { resumed: false, rooms: {} });
      return;
    }
    if (typeof info.token === "string") this.#session = { token: info.token, graceMs: Number(info.grace_ms) || this.#session?.graceMs || 0, lostAt: 0 };
    const sessionRooms = info.rooms && typeof info.rooms === "object" ? info.rooms : {};
    clearTimeout(this.#openTimer);
    const previous = this.id;
    this.id = joinAck.src;
    this.#ownIds.add(this.id);
    this.#attempt = 0;
    this.#setState("open");
    if (previous && previous !== this.id) this.emit("id", this.id, previous);
    for (const name of Object.keys(sessionRooms)) {
      const room = this.#rooms.get(name);
      if (!room || !room.wanted) this.#writeControl(name, "leave");  // left while the socket was down
    }
    const gaps = [];
    for (const [name, room] of this.#rooms) {
      if (name === ROOT || !room.wanted) continue;
      if (sessionRooms[name] === true) {
        room.resumed();
      } else {
        // Not in the session (its join was in flight), or its log no longer reaches back: join (again) for the
        // members and the position; with its history option, for the frames the log still has.
        if (sessionRooms[name] === false) gaps.push(room);
        this.#sendJoin(room, false);
      }
    }
    settle(this.#ready, true, this.id);
    this.root.resumed();
    this.#flushPending();
    this.emit("open", this.id);
    this.emit("resumed", { resumed: true, rooms: { ...sessionRooms } });
    for (const room of gaps) room.emit("gap", { reason: "resume" });
  }

  // Root's join_ack on a new session: this connection's id. Every room the application wants is joined (again).
  #connected(frame) {
    clearTimeout(this.#openTimer);
    const previous = this.id;
    this.id = frame.src;
    this.#ownIds.add(this.id);
    this.#directSeen = null;  // a new session has a new direct log
    this.#attempt = 0;
    this.#setState("open");
    if (previous && previous !== this.id) this.emit("id", this.id, previous);
    for (const [name, room] of this.#rooms) {
      if (name !== ROOT && room.wanted) this.#sendJoin(room, Boolean(previous));
    }
    settle(this.#ready, true, this.id);
    this.root.acknowledged(parseMembers(frame.payload));
    this.#flushPending();
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

/** Connects and returns the client (see WsRoomsClient), on wsrooms.v2 unless options.version is 1. The URL may be relative to the page: "/ws" is the default. */
export function connect(url, options) {
  return new WsRoomsClient(url, options);
}

/** roomer.js's entry point: connects on protocol v1 (unless options.version says 2) and returns the root room. */
export default function roomer(url, options) {
  return connect(url, { version: 1, ...options }).root;
}

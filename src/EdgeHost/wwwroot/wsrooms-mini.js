// wsrooms-mini: the WsRooms frame codec, dependency-free (an ES module; see /work/shared/PROTOCOL.md).
//
// A frame is five fields, each a big-endian uint32 byte length followed by that many bytes:
//
//   | len | room | len | event | len | dst | len | src | len | payload |
//
// room, event, dst and src are UTF-8 strings; payload is opaque bytes. Lengths are byte lengths,
// never string.length (which counts UTF-16 code units).

const FIELD_COUNT = 5;
const LENGTH_SIZE = 4;

/** The smallest frame: five empty fields. */
export const MIN_FRAME_SIZE = FIELD_COUNT * LENGTH_SIZE;

/** Events the server sends; a client may not send them. */
export const ServerEvents = Object.freeze({
  JoinAck: "join_ack",
  LeaveAck: "leave_ack",
  NewMember: "new_member",
  MemberLeft: "member_left",
});

/** The room every connection is in; it cannot be left. */
export const ROOT_ROOM = "root";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Thrown by decodeFrame for bytes that are not a well-formed frame. */
export class FrameError extends Error {
  constructor(message) {
    super(message);
    this.name = "FrameError";
  }
}

/** A string, ArrayBuffer, typed array or DataView (or nothing) as bytes. Strings become UTF-8. */
export function toBytes(value) {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("payload must be a string, an ArrayBuffer or a typed array");
}

/**
 * Encodes one frame. Every field may be omitted (empty).
 * @param {{room?: string, event?: string, dst?: string, src?: string, payload?: string|ArrayBuffer|ArrayBufferView}} frame
 * @returns {Uint8Array}
 */
export function encodeFrame({ room = "", event = "", dst = "", src = "", payload } = {}) {
  const fields = [room, event, dst, src].map((s) => encoder.encode(String(s)));
  fields.push(toBytes(payload));

  const size = fields.reduce((sum, f) => sum + LENGTH_SIZE + f.byteLength, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const field of fields) {
    view.setUint32(offset, field.byteLength, false); // big-endian
    offset += LENGTH_SIZE;
    bytes.set(field, offset);
    offset += field.byteLength;
  }
  return bytes;
}

/**
 * Decodes one frame (one WebSocket binary message). Throws FrameError when a length runs past the end,
 * bytes are left over after the payload, or a string field is not valid UTF-8.
 * @param {ArrayBuffer|ArrayBufferView} data
 * @returns {{room: string, event: string, dst: string, src: string, payload: Uint8Array}}
 */
export function decodeFrame(data) {
  if (typeof data === "string") throw new FrameError("a frame is binary, not text");
  const bytes = toBytes(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = [];
  let offset = 0;
  for (let i = 0; i < FIELD_COUNT; i++) {
    if (offset + LENGTH_SIZE > bytes.byteLength) {
      throw new FrameError(`frame ends inside the length of field ${i + 1}`);
    }
    const length = view.getUint32(offset, false);
    offset += LENGTH_SIZE;
    if (length > bytes.byteLength - offset) {
      throw new FrameError(`field ${i + 1} is ${length} bytes but only ${bytes.byteLength - offset} remain`);
    }
    fields.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.byteLength) {
    throw new FrameError(`${bytes.byteLength - offset} bytes left over after the payload`);
  }

  const [room, event, dst, src] = fields.slice(0, 4).map((f, i) => {
    try {
      return strictDecoder.decode(f);
    } catch {
      throw new FrameError(`${["room", "event", "dst", "src"][i]} is not valid UTF-8`);
    }
  });
  return { room, event, dst, src, payload: fields[4] };
}

/** The payload as text when it is valid UTF-8, else null. */
export function payloadText(payload) {
  try {
    return strictDecoder.decode(payload);
  } catch {
    return null;
  }
}

/** The payload parsed as UTF-8 JSON, else undefined. */
export function payloadJson(payload) {
  const text = payloadText(payload);
  if (text === null || text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Frames a client sends. */
export const frames = Object.freeze({
  join: (room) => encodeFrame({ room, event: "join" }),
  leave: (room) => encodeFrame({ room, event: "leave" }),
  /** A broadcast to every other member of the room. */
  broadcast: (room, event, payload) => encodeFrame({ room, event, payload }),
  /** A direct message to one connection id. */
  direct: (room, event, dst, payload) => encodeFrame({ room, event, dst, payload }),
});

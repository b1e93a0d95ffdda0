// Type declarations for wsrooms.js, the WsRooms browser client (an ES module served by the edge host at /wsrooms.js).

/** Anything a payload can be: strings go as UTF-8, bytes as they are, null/undefined as nothing, other values as JSON. */
export type Payload = string | ArrayBuffer | ArrayBufferView | null | undefined | number | boolean | object;

/** Frame size limits; the server closes a connection that exceeds them (1009). */
export interface Limits {
  maxMessageBytes: number;
  maxRoomBytes: number;
  maxEventBytes: number;
  maxIdBytes: number;
  /** v2: the most bytes of a client's meta field (its message id). */
  maxMetaBytes: number;
}

/** The protocol's default limits: 64 KiB, 128, 64, 64, 64. */
export const LIMITS: Readonly<Limits>;

/** The protocol a client asks for: 2 (the subprotocol wsrooms.v2) or 1. */
export type ProtocolVersion = 1 | 2;

export interface ClientOptions<V extends ProtocolVersion = ProtocolVersion> {
  /** The protocol: 2 by default in connect() and new WsRoomsClient(), 1 in roomer(). */
  version?: V;
  /** Retry a lost connection (v2: resume its session). Default true. */
  reconnect?: boolean;
  /** Milliseconds before the first retry. Default 500. */
  minDelay?: number;
  /** The cap of the backoff in milliseconds. Default 15000. */
  maxDelay?: number;
  /** Each failed attempt multiplies the delay by this. Default 2. */
  factor?: number;
  /** 0..1: the delay is drawn from [delay × (1 − jitter), delay]. Default 0.5. */
  jitter?: number;
  /** Milliseconds a connection may take to deliver our id before it is retried. Default 10000. */
  openTimeout?: number;
  /** Frames kept per room until its join_ack (sends made before it is joined). Default 256. */
  queueLimit?: number;
  /** Limits checked before sending; must match the server's. */
  limits?: Partial<Limits>;
  /** A WebSocket constructor (default: globalThis.WebSocket). */
  WebSocket?: { new (url: string, protocols?: string | string[]): WebSocket };
  /** WebSocket subprotocols (v2 offers wsrooms.v2 first). */
  protocols?: string | string[];
}

/** Options of a join. */
export interface JoinOptions {
  /** v2: the join brings the room's last n frames (at most 1000) before live ones, emitted with `frame.history` true. */
  history?: number;
}

/** One decoded frame. `payload` is a view into the received buffer. */
export interface Frame {
  room: string;
  event: string;
  dst: string;
  src: string;
  payload: Uint8Array;
  /** v2: the meta field's bytes. */
  meta?: Uint8Array;
  /** v2: the frame's position in its room's log (a direct message: in this session's direct log), or null. */
  seq?: bigint | null;
  /** v2: a frame from the room's history (a join's `history` option), logged before this client joined. */
  history?: boolean;
}

/** Why a v2 publish was refused: `code` is the server's (not_member, publish_denied, unknown_dst, ...). */
export class WsRoomsError extends Error {
  readonly code: string;
}

/** What send() returns: v1 true when sent; v2 a promise of the position from the server's ack (null from a v1-only server). */
export type SendResult<V extends ProtocolVersion> = V extends 1 ? boolean : Promise<bigint | null>;

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** A custom event's handler: the payload bytes, the sender's id, and the whole frame (`dst` is set on a direct message). */
export type MessageHandler = (payload: Uint8Array, senderId: string, frame: Frame) => void;

interface RoomEvents {
  /** Joined (again after every reconnect). */
  open: () => void;
  /** Left (leave_ack), or the client was closed. */
  close: () => void;
  /** Another connection joined; its id. */
  new_member: (id: string) => void;
  /** Another connection left or disconnected; its id. */
  member_left: (id: string) => void;
  /** v2: frames of this room were missed that the server no longer holds (after a resume, or history_gone): reload its state. */
  gap: (info: { reason: "resume" | "history_gone" }) => void;
}

/** A room: roomer.js's API, plus promises. */
export class Room<V extends ProtocolVersion = 2> {
  private constructor();
  /** The room's name. */
  readonly name: string;
  /** The client this room belongs to. */
  readonly client: WsRoomsClient<V>;
  /** v2: the last position of the room's log this client knows of, or null. */
  readonly position: bigint | null;
  /** Resolves with the member ids once joined on the current connection; rejects if the room is left first. */
  readonly joined: Promise<string[]>;

  /** Joins another room (roomer.js's root.join); returns it at once. Throws RangeError for an empty or over-long name, Error after close(). */
  join(name: string, options?: JoinOptions): Room<V>;
  /** Leaves this room; resolves when the server acknowledged. Leaving root does nothing. */
  leave(): Promise<void>;
  /**
   * Sends an event to the room's other members, or only to connection `dst`. Frames sent before the room is joined
   * are kept until its join_ack. Throws RangeError over a limit. v1: false when refused (a reserved event) or dropped.
   * v2: a promise of the frame's position from the server's ack, rejecting with a WsRoomsError on a refusal; an
   * unacknowledged frame is sent again after a reconnect under the same message id, so it lands once.
   */
  send(event: string, payload?: Payload, dst?: string): SendResult<V>;
  /** v2: the room's last n frames, oldest first, each with its seq (joins first if needed). */
  history(n: number): Promise<Frame[]>;
  /** The member ids (a copy). */
  members(): string[];
  /** This connection's id ("" before the first connection). */
  id(): string;
  /** True while the room is joined on an open connection. */
  open(): boolean;
  /** Root only in roomer.js: every room by name, root included. */
  rooms(): Record<string, Room<V>>;
  /** Root only in roomer.js: leaves every room but root. */
  purge(): Promise<void[]>;

  on<E extends keyof RoomEvents>(event: E, handler: RoomEvents[E]): () => void;
  on(event: string, handler: MessageHandler): () => void;
  once<E extends keyof RoomEvents>(event: E, handler: RoomEvents[E]): () => void;
  once(event: string, handler: MessageHandler): () => void;
  off(event: string, handler: (...args: any[]) => void): void;
  /** Removes every listener, or those of one event. */
  clearListeners(event?: string): void;
}

interface ClientEvents {
  state: (state: ConnectionState) => void;
  /** Connected (also after a reconnect), with this connection's id. */
  open: (id: string) => void;
  /** A reconnect gave this client a new id (v1, or a v2 session that could not resume). */
  id: (id: string, previousId: string) => void;
  /** v2, after a reconnect: whether the session resumed, and per room whether every missed frame follows. */
  resumed: (info: { resumed: boolean; rooms: Record<string, boolean> }) => void;
  disconnect: (info: { code: number; reason: string }) => void;
  reconnecting: (info: { attempt: number; delay: number }) => void;
  /** Closed for good (close()). */
  close: () => void;
  warning: (message: string) => void;
}

/** One connection and its rooms; reconnects with backoff, and resumes its session (v2) or joins the rooms again (v1). */
export class WsRoomsClient<V extends ProtocolVersion = 2> {
  constructor(url?: string, options?: ClientOptions<V>);
  readonly options: Required<Omit<ClientOptions<V>, "WebSocket" | "protocols" | "limits">> & { limits: Limits } & Pick<ClientOptions, "WebSocket" | "protocols">;
  readonly url: string;
  /** The protocol asked for. */
  readonly version: V;
  /** The protocol the current connection speaks: 2 when the server selected wsrooms.v2. */
  readonly protocol: ProtocolVersion;
  /** The root room, which every connection is in. */
  readonly root: Room<V>;
  readonly state: ConnectionState;
  /** This connection's id; changes on reconnect ("id" event). */
  readonly id: string;
  /** Resolves with the id once connected (now or after the reconnect under way); rejects after close(). */
  readonly ready: Promise<string>;

  join(name: string, options?: JoinOptions): Room<V>;
  leave(name: string): Promise<void>;
  purge(): Promise<void[]>;
  rooms(): Record<string, Room<V>>;
  room(name: string): Room<V> | undefined;
  send(room: string, event: string, payload?: Payload, dst?: string): SendResult<V>;
  /** A direct message to one connection (in root unless a room is given). */
  direct(dst: string, event: string, payload?: Payload, room?: string): SendResult<V>;
  /** While reconnecting: try now instead of waiting for the backoff. */
  reconnect(): void;
  /** Closes for good: no reconnect; rooms emit "close"; pending promises reject. */
  close(code?: number, reason?: string): void;

  on<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): () => void;
  once<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): () => void;
  off(event: string, handler: (...args: any[]) => void): void;
  clearListeners(event?: string): void;
}

/** Connects, on wsrooms.v2 unless options.version is 1; the URL may be relative to the page ("/ws" by default). */
export function connect(url?: string, options?: ClientOptions<2>): WsRoomsClient<2>;
export function connect(url: string | undefined, options: ClientOptions<1>): WsRoomsClient<1>;
/** roomer.js's entry point: connects on protocol v1 (unless options.version is 2) and returns the root room. */
export default function roomer(url?: string, options?: ClientOptions<1>): Room<1>;
export default function roomer(url: string | undefined, options: ClientOptions<2>): Room<2>;

/** UTF-8 text of a payload. */
export function text(payload: Uint8Array | ArrayBuffer | ArrayBufferView | string | null | undefined): string;
/** JSON.parse of a payload's UTF-8 text. */
export function json<T = unknown>(payload: Uint8Array | ArrayBuffer | ArrayBufferView | string): T;
/** The bytes a payload is sent as. */
export function toBytes(payload: Payload): Uint8Array;
/** Encodes one frame (six fields, v2, when meta is given); throws RangeError over a limit. */
export function encodeFrame(room: string, event: string, dst: string, src: string, payload?: Payload, limits?: Limits, meta?: string | Uint8Array): Uint8Array;
/** Decodes one frame of protocol version 1 (five fields) or 2 (six); null when malformed. */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView, version?: ProtocolVersion): Frame | null;

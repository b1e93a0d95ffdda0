// Type declarations for wsrooms.js, the WsRooms browser client (an ES module served by the edge host at /wsrooms.js).

/** Anything a payload can be: strings go as UTF-8, bytes as they are, null/undefined as nothing, other values as JSON. */
export type Payload = string | ArrayBuffer | ArrayBufferView | null | undefined | number | boolean | object;

/** Frame size limits; the server closes a connection that exceeds them (1009). */
export interface Limits {
  maxMessageBytes: number;
  maxRoomBytes: number;
  maxEventBytes: number;
  maxIdBytes: number;
}

/** The protocol's default limits: 64 KiB, 128, 64, 64. */
export const LIMITS: Readonly<Limits>;

export interface ClientOptions {
  /** Retry a lost connection. Default true. */
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
  /** WebSocket subprotocols. */
  protocols?: string | string[];
}

/** One decoded frame. `payload` is a view into the received buffer. */
export interface Frame {
  room: string;
  event: string;
  dst: string;
  src: string;
  payload: Uint8Array;
}

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
}

/** A room: roomer.js's API, plus promises. */
export class Room {
  private constructor();
  /** The room's name. */
  readonly name: string;
  /** The client this room belongs to. */
  readonly client: WsRoomsClient;
  /** Resolves with the member ids once joined on the current connection; rejects if the room is left first. */
  readonly joined: Promise<string[]>;

  /** Joins another room (roomer.js's root.join); returns it at once. Throws RangeError for an empty or over-long name, Error after close(). */
  join(name: string): Room;
  /** Leaves this room; resolves when the server acknowledged. Leaving root does nothing. */
  leave(): Promise<void>;
  /**
   * Sends an event to the room's other members, or only to connection `dst`. Frames sent before the room is joined
   * are kept until its join_ack. Returns false when refused (a reserved event) or dropped; throws RangeError over a limit.
   */
  send(event: string, payload?: Payload, dst?: string): boolean;
  /** The member ids (a copy). */
  members(): string[];
  /** This connection's id ("" before the first connection). */
  id(): string;
  /** True while the room is joined on an open connection. */
  open(): boolean;
  /** Root only in roomer.js: every room by name, root included. */
  rooms(): Record<string, Room>;
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
  /** A reconnect gave this client a new id. */
  id: (id: string, previousId: string) => void;
  disconnect: (info: { code: number; reason: string }) => void;
  reconnecting: (info: { attempt: number; delay: number }) => void;
  /** Closed for good (close()). */
  close: () => void;
  warning: (message: string) => void;
}

/** One connection and its rooms; reconnects with backoff and joins the rooms again. */
export class WsRoomsClient {
  constructor(url?: string, options?: ClientOptions);
  readonly options: Required<Omit<ClientOptions, "WebSocket" | "protocols" | "limits">> & { limits: Limits } & Pick<ClientOptions, "WebSocket" | "protocols">;
  readonly url: string;
  /** The root room, which every connection is in. */
  readonly root: Room;
  readonly state: ConnectionState;
  /** This connection's id; changes on reconnect ("id" event). */
  readonly id: string;
  /** Resolves with the id once connected (now or after the reconnect under way); rejects after close(). */
  readonly ready: Promise<string>;

  join(name: string): Room;
  leave(name: string): Promise<void>;
  purge(): Promise<void[]>;
  rooms(): Record<string, Room>;
  room(name: string): Room | undefined;
  send(room: string, event: string, payload?: Payload, dst?: string): boolean;
  /** A direct message to one connection (in root unless a room is given). */
  direct(dst: string, event: string, payload?: Payload, room?: string): boolean;
  /** While reconnecting: try now instead of waiting for the backoff. */
  reconnect(): void;
  /** Closes for good: no reconnect; rooms emit "close"; pending promises reject. */
  close(code?: number, reason?: string): void;

  on<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): () => void;
  once<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): () => void;
  off(event: string, handler: (...args: any[]) => void): void;
  clearListeners(event?: string): void;
}

/** Connects; the URL may be relative to the page ("/ws" by default). */
export function connect(url?: string, options?: ClientOptions): WsRoomsClient;
/** roomer.js's entry point: connects and returns the root room. */
export default function roomer(url?: string, options?: ClientOptions): Room;

/** UTF-8 text of a payload. */
export function text(payload: Uint8Array | ArrayBuffer | ArrayBufferView | string | null | undefined): string;
/** JSON.parse of a payload's UTF-8 text. */
export function json<T = unknown>(payload: Uint8Array | ArrayBuffer | ArrayBufferView | string): T;
/** The bytes a payload is sent as. */
export function toBytes(payload: Payload): Uint8Array;
/** Encodes one frame; throws RangeError over a limit. */
export function encodeFrame(room: string, event: string, dst: string, src: string, payload?: Payload, limits?: Limits): Uint8Array;
/** Decodes one frame; null when malformed. */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView): Frame | null;

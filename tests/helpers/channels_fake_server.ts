/**
 * A fake channels server for client tests, written from docs/channels.md
 * on the runtime's own WebSocket server (Deno.serve + upgradeWebSocket, or
 * Bun.serve), not on fullduplex's server: it agrees to
 * `fullduplex.channels.v1` (or, when told, does not), answers the control
 * messages in a simple scriptable way (allow or deny per topic, publish to
 * subscribers, presence, requests to a client), records every raw frame it
 * receives, and can be stopped and started again on the same port to test
 * reconnects.
 */

import {
  appBinary,
  appText,
  binaryPublication,
  CHANNELS_PROTOCOL,
  controlFrame,
  decodeClientFrame,
  type PresenceMember,
  type ServerControl,
} from "../../src/shared/channel_wire.ts";

/** What decides the fake server's answers; every field may be changed while it runs. */
export interface FakeRules {
  /** Agree to fullduplex.channels.v1 when offered. Default true. Otherwise the first other protocol offered, or none. */
  channels: boolean;
  /** A `sub`: true allows, a string denies with that reason. Default: allow. */
  subscribe: (topic: string, peer: FakePeer) => true | string;
  /** A `pub` or binary publish: true allows, a string denies. Default: allow. */
  publish: (topic: string, peer: FakePeer) => true | string;
  /** The presence info of a peer. Default `{ n: <its number> }`. */
  info: (peer: FakePeer) => unknown;
  /** An application message (already untagged on a channels connection). Default: echo it back. */
  app: (peer: FakePeer, data: string | Uint8Array) => void;
  /** Whether control requests are answered at all (false: they get no answer). Default true. */
  answer: boolean;
}

/** One connection to the fake server. */
export interface FakePeer {
  /** Its member id: `peer-<n>`. */
  id: string;
  n: number;
  /** Protocols the client offered, in order. */
  offered: string[];
  /** The protocol agreed (`""` for none). */
  protocol: string;
  /** Every frame received from the client, raw, in order. */
  frames: (string | Uint8Array)[];
  /** Topics it is subscribed to, with whether it asked for presence. */
  topics: Map<string, boolean>;
  open: boolean;
  /** Sends a raw frame. */
  send(frame: string | Uint8Array): void;
  /** Sends an application message (tagged on a channels connection). */
  sendApp(data: string | Uint8Array): void;
  /** Sends a server control message. */
  control(message: ServerControl): void;
  /** Sends `req` and resolves with the client's `reply`. */
  request(data: unknown): Promise<{ data?: unknown; error?: string }>;
  /** Subscribes it from the server side (as `socket.subscribe()` would): the client sees `publication` events. */
  subscribeFromServer(topic: string): void;
  /** Ends its subscription from the server side and tells it with `end`. */
  endFromServer(topic: string, reason: string): void;
  close(code?: number, reason?: string): void;
}

/** A running fake server. */
export interface FakeServer {
  readonly port: number;
  readonly url: string;
  readonly rules: FakeRules;
  /** Every connection ever accepted, in order. */
  readonly peers: FakePeer[];
  /**
   * What the server understood, in order, over all connections: `sub T`,
   * `unsub T`, `pub T text:D`, `pub T binary:1,2`, `presence T`,
   * `app text:D`, `app binary:1,2`, `reply N …`, `malformed R`.
   */
  readonly log: string[];
  /** Publishes to every subscriber of `topic` (text as `msg`, bytes as a `p` frame). */
  publish(topic: string, data: string | Uint8Array): void;
  /** Connections open now. */
  openPeers(): FakePeer[];
  /** Closes every connection (1012, service restart) and stops listening. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

interface EngineSocket {
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** What a runtime server hands over, whichever runtime it is. */
interface Wiring {
  opened(socket: EngineSocket, offered: string[], protocol: string): FakePeer;
  received(peer: FakePeer, data: string | Uint8Array): void;
  closed(peer: FakePeer): void;
}

interface Listening {
  port: number;
  stop(): Promise<void>;
}

interface DenoLike {
  serve(
    options: { hostname: string; port: number; onListen?: () => void },
    handler: (req: Request) => Response,
  ): { addr: { port: number }; shutdown(): Promise<void> };
  upgradeWebSocket(req: Request): { socket: WebSocket; response: Response };
}

interface BunSocketLike {
  data: { offered: string[]; protocol: string; peer?: FakePeer };
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

interface BunLike {
  serve(options: {
    hostname: string;
    port: number;
    fetch(req: Request, server: { upgrade(req: Request, options: { data: unknown; headers: Record<string, string> }): boolean }):
      | Response
      | undefined;
    websocket: {
      open(ws: BunSocketLike): void;
      message(ws: BunSocketLike, data: string | Uint8Array): void;
      close(ws: BunSocketLike): void;
    };
  }): { port: number; stop(closeActive?: boolean): Promise<void> };
}

function offeredProtocols(header: string | null): string[] {
  return (header ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
}

function listen(port: number, rules: FakeRules, wiring: Wiring): Promise<Listening> {
  const g = globalThis as unknown as { Deno?: DenoLike; Bun?: BunLike };
  const choose = (offered: string[]) =>
    rules.channels && offered.includes(CHANNELS_PROTOCOL) ? CHANNELS_PROTOCOL : offered.find((p) => p !== CHANNELS_PROTOCOL) ?? "";
  if (g.Bun !== undefined) {
    const server = g.Bun.serve({
      hostname: "127.0.0.1",
      port,
      fetch(req, srv) {
        const offered = offeredProtocols(req.headers.get("sec-websocket-protocol"));
        const protocol = choose(offered);
        // Always set the header: left unset, Bun agrees to the client's first protocol.
        if (srv.upgrade(req, { data: { offered, protocol }, headers: { "Sec-WebSocket-Protocol": protocol } })) return undefined;
        return new Response("not a WebSocket upgrade", { status: 400 });
      },
      websocket: {
        open(ws) {
          ws.data.peer = wiring.opened(ws, ws.data.offered, ws.data.protocol);
        },
        message(ws, data) {
          const bytes = typeof data === "string" ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
          wiring.received(ws.data.peer!, bytes);
        },
        close(ws) {
          wiring.closed(ws.data.peer!);
        },
      },
    });
    return Promise.resolve({ port: server.port, stop: () => server.stop(true) });
  }
  const deno = g.Deno!;
  return new Promise((resolve) => {
    const server = deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
      const offered = offeredProtocols(req.headers.get("sec-websocket-protocol"));
      const protocol = choose(offered);
      const { socket, response } = deno.upgradeWebSocket(req);
      if (protocol !== "") response.headers.set("sec-websocket-protocol", protocol);
      socket.binaryType = "arraybuffer";
      let peer: FakePeer | undefined;
      socket.onopen = () => (peer = wiring.opened(socket, offered, protocol));
      socket.onmessage = (ev) => wiring.received(peer!, typeof ev.data === "string" ? ev.data : new Uint8Array(ev.data as ArrayBuffer));
      socket.onclose = () => {
        if (peer !== undefined) wiring.closed(peer);
      };
      return response;
    });
    resolve({ port: server.addr.port, stop: () => server.shutdown() });
  });
}

function describeData(data: string | Uint8Array): string {
  return typeof data === "string" ? `text:${data}` : `binary:${[...data].join(",")}`;
}

/** Starts a fake channels server on 127.0.0.1 (a free port). */
export async function startFakeChannelsServer(rules: Partial<FakeRules> = {}): Promise<FakeServer> {
  const all: FakeRules = {
    channels: true,
    subscribe: () => true,
    publish: () => true,
    info: (peer) => ({ n: peer.n }),
    app: (peer, data) => peer.sendApp(data),
    answer: true,
    ...rules,
  };
  const peers: FakePeer[] = [];
  const log: string[] = [];
  let reqId = 0;

  const subscribers = (topic: string) => peers.filter((p) => p.open && p.topics.has(topic));
  const member = (p: FakePeer): PresenceMember => ({ id: p.id, info: all.info(p) });
  const announce = (topic: string, t: "join" | "leave", who: FakePeer) => {
    for (const p of subscribers(topic)) if (p !== who && p.topics.get(topic)) p.control({ t, topic, member: member(who) });
  };
  const publish = (topic: string, data: string | Uint8Array) => {
    for (const p of subscribers(topic)) {
      p.send(typeof data === "string" ? controlFrame({ t: "msg", topic, data }) : binaryPublication(topic, data));
    }
  };

  const wiring: Wiring = {
    opened(socket, offered, protocol) {
      const n = peers.length + 1;
      const replies = new Map<number, (reply: { data?: unknown; error?: string }) => void>();
      const peer: FakePeer & { replies: typeof replies } = {
        id: `peer-${n}`,
        n,
        offered,
        protocol,
        frames: [],
        topics: new Map(),
        open: true,
        replies,
        send: (frame) => {
          if (peer.open) socket.send(frame);
        },
        sendApp: (data) => peer.send(protocol !== CHANNELS_PROTOCOL ? data : typeof data === "string" ? appText(data) : appBinary(data)),
        control: (message) => peer.send(controlFrame(message)),
        request: (data) =>
          new Promise((resolve) => {
            const id = ++reqId;
            replies.set(id, resolve);
            peer.control({ t: "req", id, data });
          }),
        subscribeFromServer: (topic) => void peer.topics.set(topic, false),
        endFromServer: (topic, reason) => {
          peer.topics.delete(topic);
          peer.control({ t: "end", topic, reason });
        },
        close: (code = 1000, reason = "") => socket.close(code, reason),
      };
      peers.push(peer);
      return peer;
    },
    received(peer, data) {
      peer.frames.push(data);
      if (peer.protocol !== CHANNELS_PROTOCOL) {
        log.push(`app ${describeData(data)}`);
        all.app(peer, data);
        return;
      }
      const frame = decodeClientFrame(data);
      const answer = (message: ServerControl) => {
        if (all.answer) peer.control(message);
      };
      switch (frame.kind) {
        case "app":
          log.push(`app ${describeData(frame.data)}`);
          if (frame.data === "ping") peer.sendApp("pong");
          else all.app(peer, frame.data);
          return;
        case "malformed":
          log.push(`malformed ${frame.reason}`);
          peer.control(frame.id === undefined ? { t: "error", reason: frame.reason } : { t: "error", id: frame.id, reason: frame.reason });
          return;
        case "binary-publish": {
          log.push(`pub ${frame.topic} ${describeData(frame.data)}`);
          const verdict = all.publish(frame.topic, peer);
          if (verdict !== true) return answer({ t: "deny", id: frame.id, reason: verdict });
          answer({ t: "ok", id: frame.id });
          publish(frame.topic, frame.data.slice());
          return;
        }
        case "binary-publication":
          return;
      }
      const m = frame.message;
      switch (m.t) {
        case "sub": {
          log.push(`sub ${m.topic}${m.presence ? " presence" : ""}`);
          const verdict = all.subscribe(m.topic, peer);
          if (verdict !== true) return answer({ t: "deny", id: m.id, reason: verdict });
          const fresh = !peer.topics.has(m.topic);
          peer.topics.set(m.topic, m.presence === true);
          if (m.presence) answer({ t: "ok", id: m.id, members: subscribers(m.topic).map(member) });
          else answer({ t: "ok", id: m.id });
          if (fresh) announce(m.topic, "join", peer);
          return;
        }
        case "unsub":
          log.push(`unsub ${m.topic}`);
          if (peer.topics.has(m.topic)) {
            announce(m.topic, "leave", peer);
            peer.topics.delete(m.topic);
          }
          return answer({ t: "ok", id: m.id });
        case "pub": {
          log.push(`pub ${m.topic} text:${m.data}`);
          const verdict = all.publish(m.topic, peer);
          if (verdict !== true) return answer({ t: "deny", id: m.id, reason: verdict });
          answer({ t: "ok", id: m.id });
          publish(m.topic, m.data);
          return;
        }
        case "presence":
          log.push(`presence ${m.topic}`);
          if (!peer.topics.has(m.topic)) return answer({ t: "deny", id: m.id, reason: "not subscribed" });
          return answer({ t: "ok", id: m.id, members: subscribers(m.topic).map(member) });
        case "reply": {
          log.push(`reply ${m.id} ${m.error !== undefined ? `error:${m.error}` : `data:${JSON.stringify(m.data)}`}`);
          const resolve = (peer as FakePeer & { replies: Map<number, (r: { data?: unknown; error?: string }) => void> }).replies.get(m.id);
          resolve?.(m.error !== undefined ? { error: m.error } : { data: m.data });
          return;
        }
      }
    },
    closed(peer) {
      if (!peer.open) return;
      const topics = [...peer.topics.keys()];
      peer.open = false;
      for (const topic of topics) announce(topic, "leave", peer);
    },
  };

  let listening = await listen(0, all, wiring);
  const port = listening.port;
  let running = true;
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    rules: all,
    peers,
    log,
    publish,
    openPeers: () => peers.filter((p) => p.open),
    async stop() {
      if (!running) return;
      running = false;
      for (const p of peers) if (p.open) p.close(1012, "restarting");
      await listening.stop();
      for (const p of peers) wiring.closed(p);
    },
    async start() {
      if (running) return;
      // The port was just released; give the OS a few tries.
      for (let attempt = 0;; attempt++) {
        try {
          listening = await listen(port, all, wiring);
          break;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      running = true;
    },
  };
}

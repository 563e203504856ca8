/**
 * A typed chat, end to end in one file: a protocol declared once with zod
 * schemas, a server that routes validated messages to typed handlers
 * (`serve({ protocol, on })`), and two typed clients (`join` is a typed
 * request/reply). Sending a wrong shape is a compile error; receiving one
 * gets the peer an error message naming the field.
 *
 *   deno run -A examples/typed_chat.ts
 *   bun run examples/typed_chat.ts
 *
 * Prints:
 *   ann joined (1 online)
 *   bob joined (2 online)
 *   bob got: ann says "Hello, Bob!"
 *   ann got error: invalid "say" message: text: Too small: expected string to have >=1 characters
 *
 * @module
 */

import { z } from "zod";
import { serve } from "../mod.ts";
import type { Socket } from "../mod.ts";
import { connectTyped, defineProtocol, protocolError } from "../src/protocol/mod.ts"; // from JSR: "@fullduplex/fullduplex/protocol"
import type { ServerMessage, ServerMessageType, TypedClient } from "../src/protocol/mod.ts";

// The protocol, shared by both sides (in an app: its own module).
const chat = defineProtocol({
  client: {
    join: z.object({ name: z.string().min(1).max(32) }),
    say: z.object({ text: z.string().min(1).max(280) }),
  },
  server: {
    welcome: z.object({ name: z.string(), online: z.number().int() }),
    said: z.object({ from: z.string(), text: z.string() }),
    error: protocolError,
  },
});
type Chat = typeof chat;

// The server: one typed handler per client message.
const members = new Map<Socket<unknown>, string>();
const server = serve({
  hostname: "127.0.0.1",
  port: 0,
  protocol: chat,
  on: {
    join(socket, msg) {
      members.set(socket, msg.name);
      chat.reply(socket, msg, { type: "welcome", name: msg.name, online: members.size });
    },
    say(socket, msg) {
      const from = members.get(socket);
      if (from === undefined) return void chat.send(socket, { type: "error", error: "join first" });
      for (const peer of members.keys()) chat.send(peer, { type: "said", from, text: msg.text });
    },
  },
  close(socket) {
    members.delete(socket);
  },
});
await server.ready;

/** Resolves with the next message of one type. */
function next<T extends ServerMessageType<Chat>>(ws: TypedClient<Chat>, type: T): Promise<ServerMessage<Chat, T>> {
  return new Promise((resolve) => {
    const off = ws.on(type, (msg) => {
      off();
      resolve(msg);
    });
  });
}

async function join(name: string): Promise<TypedClient<Chat>> {
  const ws = await connectTyped(`ws://127.0.0.1:${server.port}`, chat);
  const { online } = await ws.request({ type: "join", name }, { reply: "welcome" });
  console.log(`${name} joined (${online} online)`);
  return ws;
}

const ann = await join("ann");
const bob = await join("bob");

const heard = next(bob, "said");
ann.send({ type: "say", text: "Hello, Bob!" });
const said = await heard;
console.log(`bob got: ${said.from} says ${JSON.stringify(said.text)}`);

// A message the types would refuse (`text: ""` breaks min(1)) sent raw, as
// a buggy or hostile peer could: the server answers with a typed error.
const refused = next(ann, "error");
ann.client.send(JSON.stringify({ type: "say", text: "" }));
console.log(`ann got error: ${(await refused).error}`);

await Promise.all([ann.close(), bob.close()]);
await server.shutdown();

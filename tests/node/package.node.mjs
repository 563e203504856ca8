// npm package smoke tests: build and pack the tarball ONCE, install it into
// fresh scratch projects in a temp dir without the registry
// (npm install --offline of the .tgz file: the package has no dependencies,
// only an optional peer, node-redis, that npm does not install by itself),
// then use it from Bun, Deno and Node.js the way a user would, including
// `fullduplex/redis` against a real redis-server.
//
//   node --test tests/node/package.node.mjs
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, ROOT, run, start } from "./helpers.mjs";

let tmp = "";
let tarball = "";
let packedFiles = [];
const apps = {};
/** The redis-server the `fullduplex/redis` tests use. */
let redis;

/** The echo round trip each runtime runs: text, JSON and binary, then a clean shutdown. */
const echoScript = (specifier) =>
  `import { connect, serve } from "${specifier}";
const detectRuntime = () => ("Bun" in globalThis ? "bun" : "deno");
import type { Message } from "${specifier}";

// An uncaught throw ends the process with a non-zero code on both runtimes.
const timer = setTimeout(() => {
  throw new Error("echo round trip timed out");
}, 20_000);

const server = serve({
  hostname: "127.0.0.1",
  port: 0,
  message(socket, msg: Message) {
    socket.send(msg.kind === "text" ? \`Echo: \${msg.text()}\` : msg.bytes());
  },
});
await server.ready;
const ws = await connect(server.url, { timeout: 5000 });
ws.send("Hello");
ws.sendJson({ type: "greeting" });
ws.send(new Uint8Array([1, 2, 3]));
const replies: string[] = [];
for await (const msg of ws) {
  replies.push(msg.kind === "text" ? msg.text() : \`[\${Array.from(msg.bytes()).join(", ")}]\`);
  if (replies.length === 3) break;
}
await ws.close();
await server.shutdown();
clearTimeout(timer);
console.log(\`\${detectRuntime()}: \${replies.join(" | ")}\`);
`;
const EXPECTED_REPLIES = 'Echo: Hello | Echo: {"type":"greeting"} | [1, 2, 3]';

/** A long-running echo server for the Node.js client test; prints its URL. */
const serverScript = (specifier) =>
  `import { serve } from "${specifier}";
import { MemoryHistory } from "${specifier}/history";
const history = { store: new MemoryHistory(), topics: [{ match: "ticker:*", size: 10 }] };
const server = serve({
  hostname: "127.0.0.1",
  port: 0,
  channels: { authorize: () => true, history },
  message: (socket, msg) => socket.send(\`Echo: \${msg.text()}\`),
});
await server.ready;
console.log(\`listening \${server.url}\`);
`;

/**
 * Two servers, each with its own Redis broker: a message published on the
 * first reaches a client of the second only through Redis.
 */
const redisScript = (specifier, url) =>
  `import { connect, serve } from "${specifier}";
const detectRuntime = () => ("Bun" in globalThis ? "bun" : "deno");
import { createRedisBroker, RedisBroker } from "${specifier}/redis";

const timer = setTimeout(() => {
  throw new Error("Redis round trip timed out");
}, 20_000);
const url = "${url}";
const prefix = \`smoke-\${crypto.randomUUID()}:\`;
const [brokerA, brokerB] = await Promise.all([createRedisBroker({ url, prefix }), createRedisBroker({ url, prefix })]);
const a = serve({ hostname: "127.0.0.1", port: 0, broker: brokerA });
const b = serve({ hostname: "127.0.0.1", port: 0, broker: brokerB, open: (socket) => socket.subscribe("news") });
await Promise.all([a.ready, b.ready]);
const ws = await connect(b.url, { timeout: 5000 });
// b's broker subscribes the Redis channel asynchronously: publish on a until it arrives on b.
const publisher = setInterval(() => a.publish("news", "hello from the other server"), 50);
let received = "";
for await (const msg of ws) {
  received = msg.text();
  break;
}
clearInterval(publisher);
await ws.close();
await Promise.all([a.shutdown(), b.shutdown()]);
await Promise.all([brokerA.close(), brokerB.close()]);
clearTimeout(timer);
console.log(\`\${detectRuntime()}: \${brokerA instanceof RedisBroker} \${received}\`);
`;
const REDIS_REPLY = "true hello from the other server";

/** Deno without node-redis installed: createRedisBroker says what to install. */
const redisMissingScript = `import { FullDuplexError } from "npm:fullduplex";
import { createRedisBroker } from "npm:fullduplex/redis";
try {
  await createRedisBroker({ url: "redis://127.0.0.1:1" });
  console.log("created");
} catch (err) {
  console.log(JSON.stringify({ fullduplex: err instanceof FullDuplexError, message: String(err.message) }));
}
`;

/** Starts a throwaway redis-server (Debian package redis-server) on a free port. */
async function startRedisServer() {
  const port = await new Promise((resolve, reject) => {
    const srv = createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
  const server = start("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  server.child.once("error", () => {}); // ENOENT shows up as the waitFor failure below
  await server.waitFor(/Ready to accept connections/, 10_000).catch((err) => {
    throw new Error(`cannot start redis-server (apt-get install redis-server; scripts/install-system-deps.sh does it): ${err.message}`);
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => server.kill("SIGTERM") };
}

/** Makes a scratch project and installs the tarball into it, offline. */
async function scratchApp(name, files) {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `scratch-${name}`, private: true, type: "module" }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
    cwd: dir,
    env: { npm_config_update_notifier: "false" },
  });
  return dir;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "fullduplex-pack-"));
  redis = await startRedisServer();
  // npm pack runs the `prepack` script: the build (tsc + browser bundle) into dist/.
  const packed = await run("npm", ["pack", "--json", "--loglevel=error", "--pack-destination", tmp], {
    env: { npm_config_update_notifier: "false" },
  });
  const info = JSON.parse(packed.stdout)[0];
  tarball = join(tmp, info.filename);
  packedFiles = info.files.map((f) => f.path).sort();
  const [bunApp, denoApp, denoRedisApp, nodeApp] = await Promise.all([
    // Bun: fullduplex/redis uses Bun's built-in Redis client, no package needed.
    scratchApp("bun-app", {
      "echo.ts": echoScript("fullduplex"),
      "server.ts": serverScript("fullduplex"),
      "redis.ts": redisScript("fullduplex", redis.url),
    }),
    // Deno: the `npm:` specifier resolves from the project's node_modules
    // ("nodeModulesDir": "manual", what Deno calls bring-your-own-node-modules),
    // so nothing is fetched from the registry.
    scratchApp("deno-app", {
      "deno.json": JSON.stringify({ nodeModulesDir: "manual" }),
      "echo.ts": echoScript("npm:fullduplex"),
      "server.ts": serverScript("npm:fullduplex"),
      "redis-missing.ts": redisMissingScript,
    }),
    // Deno with the optional peer node-redis installed next to fullduplex.
    scratchApp("deno-redis-app", {
      "deno.json": JSON.stringify({ nodeModulesDir: "manual" }),
      "redis.ts": redisScript("npm:fullduplex", redis.url),
    }),
    scratchApp("node-app", {
      "tsconfig.json": JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          lib: ["es2023", "dom"],
          types: [],
        },
        files: ["consumer.ts"],
      }),
      "consumer.ts": `import { connect, serve, Message, UnsupportedRuntimeError } from "fullduplex";
import type { Client, ServeOptions, Socket } from "fullduplex";
import { connect as clientOnlyConnect } from "fullduplex/client";
import { defineProtocol, unchecked } from "fullduplex/protocol";
import type { ClientMessage } from "fullduplex/protocol";
import { createRedisBroker } from "fullduplex/redis";
import type { RedisBroker, RedisBrokerOptions } from "fullduplex/redis";
const redisOptions: RedisBrokerOptions = { url: "redis://localhost:6379", prefix: "app:" };
export const broker = (): Promise<RedisBroker> => createRedisBroker(redisOptions);
export const startShared = async () => serve({ broker: await broker(), open: (socket) => socket.subscribe("news") });
const options: ServeOptions<{ user: string }> = { message: (socket: Socket<{ user: string }>, msg: Message) => socket.send(msg.text()) };
export const start = () => serve(options);
export const open = (url: string): Promise<Client> => (Math.random() > 0.5 ? connect(url) : clientOnlyConnect(url));
export const isUnsupported = (err: unknown): boolean => err instanceof UnsupportedRuntimeError;
export const chat = defineProtocol({ client: { greeting: unchecked<{ content: string }>() }, server: {} });
export const greeting = (msg: ClientMessage<typeof chat, "greeting">): string => msg.content;
export const typedServer = () => serve({ protocol: chat, on: { greeting: (socket, msg) => void socket.send(greeting(msg)) } });
`,
      "import.mjs": `import * as fd from "fullduplex";
import * as client from "fullduplex/client";
import * as protocol from "fullduplex/protocol";
console.log(JSON.stringify({
  connect: typeof fd.connect,
  serve: typeof fd.serve,
  clientConnect: typeof client.connect,
  defineProtocol: typeof protocol.defineProtocol,
}));
try {
  fd.serve({ port: 0 });
  console.log("serve did not throw");
} catch (err) {
  console.log(JSON.stringify({ name: err.name, unsupported: err instanceof fd.UnsupportedRuntimeError, message: err.message }));
}
`,
      "client.mjs": `import { connect } from "fullduplex";
const ws = await connect(process.argv[2], { timeout: 5000 });
ws.send("from node");
for await (const msg of ws) {
  console.log(msg.text());
  break;
}
await ws.close();
console.log("closed " + ws.closeCode);
`,
    }),
  ]);
  Object.assign(apps, { bunApp, denoApp, denoRedisApp, nodeApp });
  // The user's own `npm install redis`: this repository's node-redis (a
  // devDependency), linked so that nothing is fetched from the registry.
  symlinkSync(join(ROOT, "node_modules", "redis"), join(denoRedisApp, "node_modules", "redis"), "dir");
});

after(async () => {
  await redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("npm package (npm pack, installed offline into scratch projects)", () => {
  it("the tarball holds the build, the docs and the license, not the sources or tests", () => {
    assert.ok(packedFiles.includes("dist/mod.js"), packedFiles.join(" "));
    assert.ok(packedFiles.includes("dist/mod.d.ts"));
    assert.ok(packedFiles.includes("dist/client.js"));
    assert.ok(packedFiles.includes("dist/src/client/mod.d.ts"));
    for (const f of ["LICENSE", "README.md", "package.json", "CHANGELOG.md"]) assert.ok(packedFiles.includes(f), `${f} missing`);
    const others = packedFiles.filter((f) =>
      !f.startsWith("dist/") && !["LICENSE", "README.md", "package.json", "CHANGELOG.md"].includes(f)
    );
    assert.deepEqual(others, []);
    assert.deepEqual(packedFiles.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), []);
    // every declaration file refers to its neighbours by .js, which all TypeScript settings resolve
    const dts = readFileSync(join(ROOT, "dist", "mod.d.ts"), "utf8");
    assert.doesNotMatch(dts, /from "\.[^"]*\.ts"/);
  });

  it("package.json exports every entry point of deno.json, with types, all in the tarball", () => {
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    assert.equal(pkg.version, deno.version, "package.json and deno.json versions differ");
    for (const [subpath, source] of Object.entries(deno.exports)) {
      const entry = pkg.exports[subpath];
      assert.ok(entry, `package.json has no export "${subpath}" (deno.json exports it from ${source})`);
      const built = source.replace(/^\.\//, "dist/").replace(/\.ts$/, "");
      assert.equal(entry.types, `./${built}.d.ts`, `exports["${subpath}"].types`);
      assert.equal(entry.default, `./${built}.js`, `exports["${subpath}"].default`);
      assert.ok(packedFiles.includes(`${built}.js`) && packedFiles.includes(`${built}.d.ts`), `${built}.js/.d.ts not in the tarball`);
    }
  });

  it('Bun: import { serve, connect } from "fullduplex", echo round trip', async () => {
    const r = await run(bin("bun"), ["run", "echo.ts"], { cwd: apps.bunApp }, 30_000);
    assert.equal(r.stdout.trim(), `bun: ${EXPECTED_REPLIES}`);
  });

  it('Deno: import from "npm:fullduplex" (local node_modules), type-checks and echoes', async () => {
    // --cached-only: Deno must not reach any registry for this.
    await run(bin("deno"), ["check", "--quiet", "echo.ts"], { cwd: apps.denoApp }, 60_000);
    const r = await run(bin("deno"), ["run", "-A", "--cached-only", "echo.ts"], { cwd: apps.denoApp }, 30_000);
    assert.equal(r.stdout.trim(), `deno: ${EXPECTED_REPLIES}`);
  });

  it('the npm install of the tarball does not pull in the optional peer "redis"', () => {
    assert.equal(existsSync(join(apps.bunApp, "node_modules", "redis")), false);
    const pkg = JSON.parse(readFileSync(join(apps.bunApp, "node_modules", "fullduplex", "package.json"), "utf8"));
    assert.deepEqual(pkg.dependencies ?? {}, {});
    assert.match(pkg.peerDependencies?.redis ?? "", /^\^6/);
    assert.equal(pkg.peerDependenciesMeta?.redis?.optional, true);
  });

  it('Bun: import { createRedisBroker } from "fullduplex/redis" (Bun\'s built-in client), two servers share a topic', async () => {
    const r = await run(bin("bun"), ["run", "redis.ts"], { cwd: apps.bunApp }, 30_000);
    assert.equal(r.stdout.trim(), `bun: ${REDIS_REPLY}`);
    // A clean shutdown (servers, then brokers) reports nothing.
    assert.doesNotMatch(r.stderr, /fullduplex:|error/i);
  });

  it('Deno: "npm:fullduplex/redis" with node-redis installed, type-checks, two servers share a topic', async () => {
    await run(bin("deno"), ["check", "--quiet", "redis.ts"], { cwd: apps.denoRedisApp }, 60_000);
    const r = await run(bin("deno"), ["run", "-A", "--cached-only", "redis.ts"], { cwd: apps.denoRedisApp }, 30_000);
    assert.equal(r.stdout.trim(), `deno: ${REDIS_REPLY}`);
    assert.doesNotMatch(r.stderr, /fullduplex:|error/i);
  });

  it('Deno: "npm:fullduplex/redis" without node-redis says to install it', async () => {
    const r = await run(bin("deno"), ["run", "-A", "--cached-only", "redis-missing.ts"], { cwd: apps.denoApp }, 30_000);
    const result = JSON.parse(r.stdout.trim());
    assert.equal(result.fullduplex, true);
    assert.match(result.message, /needs the npm package "redis" v6/);
  });

  it("TypeScript (nodenext): the package's types and exports resolve for a consumer", async () => {
    await run(bin("tsc"), ["-p", "tsconfig.json"], { cwd: apps.nodeApp }, 60_000);
  });

  it("Node.js: importing works and serve() fails at once with UnsupportedRuntimeError", async () => {
    const r = await run(process.execPath, ["import.mjs"], { cwd: apps.nodeApp }, 20_000);
    const [imported, failure] = r.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(imported, { connect: "function", serve: "function", clientConnect: "function", defineProtocol: "function" });
    assert.equal(failure.name, "UnsupportedRuntimeError");
    assert.equal(failure.unsupported, true);
    assert.match(failure.message, /Node\.js servers are not supported yet/);
    assert.match(failure.message, /deno run -A|bun run/);
  });

  for (const runtime of ["bun", "deno"]) {
    it(`Node.js: the client talks to a ${runtime === "bun" ? "Bun" : "Deno"} server from the package`, async () => {
      const app = runtime === "bun" ? apps.bunApp : apps.denoApp;
      const server = start(bin(runtime), runtime === "bun" ? ["run", "server.ts"] : ["run", "-A", "--cached-only", "server.ts"], {
        cwd: app,
      });
      try {
        const [, url] = await server.waitFor(/listening (ws:\/\/\S+)/);
        // Node 20 has a global WebSocket only behind a flag (on by default from Node 22).
        const flags = typeof WebSocket === "undefined" ? ["--experimental-websocket"] : [];
        const r = await run(process.execPath, [...flags, "client.mjs", url], { cwd: apps.nodeApp }, 20_000);
        assert.equal(r.stdout, "Echo: from node\nclosed 1000\n");
      } finally {
        await server.kill();
      }
    });
  }
});

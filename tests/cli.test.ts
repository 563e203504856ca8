/**
 * The `fullduplex` command (cli.ts) run from the sources on the runtime
 * running this suite, as a user would run it: a child process against real
 * servers on 127.0.0.1 (a fullduplex server in this process, a TCP server
 * that never answers the handshake, a wss:// server with a private CA, and
 * `fullduplex serve`), checking stdout, stderr and the exit code. The prompt
 * and its history are driven through a pseudo-terminal (util-linux
 * `script`). tests/node/tarball.node.mjs runs the packed command on Bun,
 * Deno and Node.js.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { Server as TcpServer, Socket as TcpSocket } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import process from "node:process";
import { serve } from "./helpers/engine.ts";
import type { CloseInfo, Server, Socket } from "../mod.ts";
import { delay, ROOT, RUNTIME, runtimeBin, spawnScript, until } from "./helpers/runtime.ts";
import { makeCertificates } from "./helpers/certificates.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { hexDump, prettyJson } from "../src/cli/render.ts";
import { parseDuration, parseHeader, parseHex, parseWebSocketUrl } from "../src/cli/values.ts";
import { parseClientArgs } from "../src/cli/options.ts";
import { VERSION } from "../src/cli/version.ts";

interface Seen {
  auth: string | null;
  path: string;
}

/** What the test server's handlers saw. */
const closes: { path: string; info: CloseInfo }[] = [];
let server: Server;
let base = "";

/** Runs cli.ts with `args` to the end (killed after 20 s). */
async function cli(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  const p = spawnScript(RUNTIME, "cli.ts", args, input ?? "");
  const code = await p.exited(20_000).catch((e) => {
    p.kill();
    throw e;
  });
  return { code, out: p.stdout(), err: p.stderr() };
}

before(async () => {
  server = serve<Seen>({
    hostname: "127.0.0.1",
    port: 0,
    protocols: ["chat.v1", "chat.v2"],
    upgrade: (req, info) => ({ data: { auth: req.headers.get("authorization"), path: info.url.pathname } }),
    message(socket: Socket<Seen>, msg) {
      const { path } = socket.data;
      if (path === "/silent") return;
      if (path === "/close") socket.close(4000, "go away");
      else if (path === "/whoami") socket.send(`auth=${socket.data.auth} protocol=${socket.protocol}`);
      else if (path === "/push" || path === "/push-4001") {
        // A reply, then two more, then a close: what --wait is for.
        for (const n of [1, 2, 3]) socket.send(`push ${n}`);
        socket.close(path === "/push" ? 1000 : 4001, "done");
      } else if (path === "/later") {
        // Replies after the client's input has ended (a reply that takes time).
        if (msg.text() === "go") {
          setTimeout(() => {
            socket.send("late");
            socket.close(1000, "bye");
          }, 300);
        }
      } else socket.send(msg.kind === "text" ? `Echo: ${msg.text()}` : msg.bytes());
    },
    close(socket, info) {
      closes.push({ path: socket.data.path, info });
    },
  });
  await server.ready;
  base = `ws://127.0.0.1:${server.port}`;
});
after(async () => {
  await server.shutdown({ timeout: 1000 });
});

describe("cli option parsing (no network)", () => {
  it("durations, hex, headers and URLs", () => {
    assert.equal(parseDuration("--timeout", "1500"), 1500);
    assert.equal(parseDuration("--timeout", "250ms"), 250);
    assert.equal(parseDuration("--timeout", "1.5s"), 1500);
    assert.equal(parseDuration("--timeout", "2m"), 120_000);
    for (const bad of ["", "0", "-1", "5h", "abc", "1e3"]) {
      assert.throws(() => parseDuration("--timeout", bad), /--timeout takes a duration/);
    }
    assert.deepEqual([...parseHex("--hex", "01 02 ff")], [1, 2, 255]);
    assert.deepEqual([...parseHex("--hex", "0x01,0xFF:10")], [1, 255, 16]);
    assert.deepEqual([...parseHex("--hex", "")], []);
    assert.throws(() => parseHex("--hex", "1"), /two per byte/);
    assert.throws(() => parseHex("--hex", "zz"), /hex digits/);
    assert.deepEqual(parseHeader("Authorization: Bearer a:b"), ["Authorization", "Bearer a:b"]);
    assert.deepEqual(parseHeader("X-Empty:"), ["X-Empty", ""]);
    assert.throws(() => parseHeader("no colon"), /"Name: value"/);
    assert.throws(() => parseHeader("Bad Name: x"), /"Name: value"/);
    assert.equal(parseWebSocketUrl("localhost:8080/x"), "ws://localhost:8080/x");
    assert.equal(parseWebSocketUrl("wss://example.com"), "wss://example.com");
    assert.throws(() => parseWebSocketUrl("http://example.com/ws"), /did you mean ws:\/\/example\.com\/ws/);
  });

  it("what to send, and the modes", () => {
    const command = (args: string[]) => {
      const parsed = parseClientArgs(args);
      assert.equal(parsed.kind, "client");
      return parsed.kind === "client" ? parsed.command : undefined!;
    };
    assert.equal(command(["ws://h", "hi"]).payload, "hi");
    assert.equal(command(["ws://h", "--json", '{ "a" : 1 }']).payload, '{"a":1}');
    assert.deepEqual([...(command(["ws://h", "--binary", "1,2,3"]).payload as Uint8Array)], [1, 2, 3]);
    assert.equal(command(["ws://h"]).payload, undefined);
    assert.deepEqual(command(["ws://h", "-s", "a,b", "--subprotocol", "c"]).protocols, ["a", "b", "c"]);
    assert.deepEqual(command(["ws://h", "-H", "A: 1", "-H", "B: 2"]).headers, { A: "1", B: "2" });
    assert.equal(command(["ws://h", "x"]).timeout, undefined);
    assert.equal(command(["ws://h", "x", "--wait", "-t", "2s"]).timeout, 2000);
    assert.equal(command(["ws://h", "x"]).connectTimeout, 10_000);
    assert.equal(command(["ws://h", "--", "-not-an-option"]).payload, "-not-an-option");
    assert.throws(() => parseClientArgs(["ws://h", "x", "--json", "{}"]), /send one thing: got a message and --json/);
    assert.throws(() => parseClientArgs(["ws://h", "x", "-i"]), /-i reads the messages from stdin/);
    assert.throws(() => parseClientArgs(["ws://h", "a", "b"]), /one message at a time/);
    assert.throws(() => parseClientArgs(["ws://h", "--json", "{oops"]), /--json is not valid JSON/);
    assert.throws(() => parseClientArgs([]), /which server\?/);
    assert.deepEqual(parseClientArgs(["-h"]), { kind: "help" });
  });

  it("shows binary as a hex dump (the layout of hexdump -C) and pretty-prints JSON", () => {
    assert.deepEqual(hexDump(new Uint8Array([0x48, 0x69, 0x00, 0xff])), ["00000000  48 69 00 ff" + " ".repeat(39) + "|Hi..|"]);
    const lines = hexDump(new Uint8Array(17).map((_, i) => i + 0x41));
    assert.equal(lines.length, 2);
    assert.equal(lines[0], "00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|");
    assert.match(lines[1], /^00000010 {2}51 +\|Q\|$/);
    assert.deepEqual(hexDump(new Uint8Array(0)), ["(empty binary message)"]);
    assert.equal(prettyJson('{"a":[1,2]}'), '{\n  "a": [\n    1,\n    2\n  ]\n}');
    assert.equal(prettyJson("Echo: {"), undefined);
    assert.equal(prettyJson("{not json"), undefined);
  });
});

describe(`fullduplex command (cli.ts) on ${RUNTIME}`, () => {
  it("--help and --version", async () => {
    const help = await cli(["--help"]);
    assert.equal(help.code, 0);
    const needles = ["--subprotocol", "--header", "--connect-timeout", "--ca", "--wait", "--pretty", "Exit codes:", "fullduplex serve"];
    for (const needle of needles) {
      assert.ok(help.out.includes(needle), `--help does not mention ${needle}`);
    }
    const version = await cli(["--version"]);
    assert.equal(version.out, `fullduplex ${VERSION}\n`);
    for (const file of ["package.json", "deno.json"]) {
      assert.equal(JSON.parse(readFileSync(join(ROOT, file), "utf8")).version, VERSION, `${file} and src/cli/version.ts disagree`);
    }
  });

  it("usage errors exit 2 and point to --help", async () => {
    const mistakes = [[], ["--nope", "ws://h"], ["http://127.0.0.1:1/"], ["ws://h", "--hex", "xyz"], ["ws://h", "--connect-timeout", "0"]];
    for (const args of mistakes) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, /^Error: .+\nRun fullduplex --help for the options\.\n$/);
      assert.equal(r.out, "");
    }
  });

  it("one-shot: the reply alone on stdout, the status on stderr", async () => {
    const r = await cli([`${base}/echo`, "Hello"]);
    assert.deepEqual(r, { code: 0, out: "Echo: Hello\n", err: `Connected to ${base}/echo\n` });
    const q = await cli([`${base}/echo`, "-q", "--json", '{"type": "greeting"}']);
    assert.deepEqual(q, { code: 0, out: 'Echo: {"type":"greeting"}\n', err: "" });
    await until(() => closes.filter((c) => c.path === "/echo").length >= 2, "the server to see both closes");
    const done = { code: 1000, reason: "done" };
    assert.deepEqual(closes.filter((c) => c.path === "/echo").map((c) => c.info), [done, done]);
  });

  it("binary as a hex dump; JSON pretty-printed with --pretty", async () => {
    const hex = await cli([`${base}/echo`, "-q", "--hex", "48 69 00 ff"]);
    assert.equal(hex.out, `00000000  48 69 00 ff${" ".repeat(39)}|Hi..|\n`);
    const list = await cli([`${base}/echo`, "-q", "--binary", "72,105"]);
    assert.equal(list.out, `00000000  48 69${" ".repeat(45)}|Hi|\n`);
    const pretty = await cli([`${base}/whoami`, "-q", "--pretty", "x"]);
    assert.equal(pretty.out, "auth=null protocol=\n", "text that is not JSON stays as it is");
    const json = await cli([`${base}/echo`, "-q", "--pretty", '{"a":1}']);
    assert.equal(json.out, 'Echo: {"a":1}\n', "only a message that IS JSON is re-indented");
  });

  it("--subprotocol offers protocols and shows the one agreed; -H sends headers", async () => {
    const r = await cli([`${base}/whoami`, "-s", "chat.v3", "-s", "chat.v2", "-H", "Authorization: Bearer t0ken", "who?"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "auth=Bearer t0ken protocol=chat.v2\n");
    assert.equal(r.err, `Connected to ${base}/whoami (subprotocol chat.v2)\n`);
  });

  it("exit 1 when nothing listens", async () => {
    const r = await cli(["ws://127.0.0.1:1", "x"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: could not connect to ws:\/\/127\.0\.0\.1:1: /);
  });

  it("exit 3 when the handshake does not finish within --connect-timeout", async () => {
    // Accepts TCP connections and never answers the HTTP upgrade.
    const sockets = new Set<TcpSocket>();
    const mute: TcpServer = createTcpServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
    try {
      const port = (mute.address() as { port: number }).port;
      const r = await cli([`ws://127.0.0.1:${port}`, "x", "--connect-timeout", "300ms"]);
      assert.equal(r.code, 3, r.err);
      assert.match(r.err, /timed out after 300 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it("exit 3 when no reply comes within --timeout; exit 4 when the server closes first", async () => {
    const silent = await cli([`${base}/silent`, "x", "--timeout", "300ms"]);
    assert.equal(silent.code, 3);
    assert.match(silent.err, /Error: no reply from ws:\/\/127\.0\.0\.1:\d+\/silent within 300 ms\n$/);
    const closed = await cli([`${base}/close`, "x"]);
    assert.equal(closed.code, 4);
    assert.match(closed.err, /closed the connection \(4000 go away\) before replying\n$/);
  });

  it("without --wait only the first reply is printed; with it, all until the close", async () => {
    const once = await cli([`${base}/push`, "go", "-q"]);
    assert.deepEqual([once.code, once.out], [0, "push 1\n"]);
    const all = await cli([`${base}/push`, "go", "--wait"]);
    assert.equal(all.code, 0);
    assert.equal(all.out, "push 1\npush 2\npush 3\n");
    assert.match(all.err, /Closed by the server \(1000 done\)\n$/);
    const abnormal = await cli([`${base}/push-4001`, "go", "--wait"]);
    assert.deepEqual([abnormal.code, abnormal.out], [4, "push 1\npush 2\npush 3\n"]);
    assert.match(abnormal.err, /Closed by the server \(4001 done\)\n$/);
  });

  it("interactive from a pipe: each line is sent; at the end of input the replies still arrive", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    // -t: how long the connection must be quiet after the input ends (a busy machine may pause).
    const r = await cli([`${base}/echo`, "-t", "1s"], `${lines.join("\n")}\n`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, lines.map((l) => `Echo: ${l}\n`).join(""));
    assert.equal(r.err, `Connected to ${base}/echo\n`);
  });

  it("interactive --wait keeps listening after the input ends, until the server closes", async () => {
    const r = await cli([`${base}/later`, "--wait"], "go\n");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "late\n");
    assert.match(r.err, /Closed by the server \(1000 bye\)\n$/);
  });

  it('Ctrl-C (SIGINT) during --wait closes with 1000 "done"', async () => {
    const before = closes.length;
    const p = spawnScript(RUNTIME, "cli.ts", [`${base}/silent`, "x", "--wait"]);
    try {
      await until(() => server.connections > 0 && p.stderr().includes("Connected"), "the command to connect");
      // The message is on its way; give the server a moment to have it before the signal.
      await delay(100);
      p.kill("SIGINT");
      const code = await p.exited();
      await until(() => closes.length > before, "the server to see the close");
      assert.deepEqual(closes.at(-1), { path: "/silent", info: { code: 1000, reason: "done" } });
      // Deno's child_process reports a child it signalled as killed even when it exited 0.
      if (RUNTIME === "bun") assert.equal(code, 0);
    } finally {
      p.kill();
    }
  });

  const script = ["/usr/bin/script", "/bin/script"].find((f) => existsSync(f));
  const noScript = script === undefined && "no util-linux script";
  it("at a terminal: a prompt, messages above it, history, /commands, Ctrl-D", { skip: noScript }, async () => {
    const argv = RUNTIME === "deno" ? ["run", "-A", "--no-check", "cli.ts"] : ["run", "cli.ts"];
    const command = [runtimeBin(RUNTIME), ...argv, `${base}/echo`].map((a) => `'${a}'`).join(" ");
    const tty = spawn(script!, ["-qfec", command, "/dev/null"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", TERM: "xterm" } });
    let screen = "";
    tty.stdout.setEncoding("utf8").on("data", (d: string) => (screen += d));
    const exited = new Promise<number>((resolve) => tty.on("exit", (code) => resolve(code ?? 128)));
    const count = (needle: string) => screen.split(needle).length - 1;
    const type = (keys: string) => tty.stdin.write(keys);
    try {
      await until(() => screen.includes("> "), "the prompt", 10_000);
      type("hello\r");
      await until(() => count("< Echo: hello") === 1, "the reply above the prompt");
      type("\x1b[A\r"); // up arrow: the last line again
      await until(() => count("< Echo: hello") === 2, "the same message again, from the history");
      type("/hex 01 02 41\r");
      await until(() => screen.includes("< 00000000  01 02 41"), "a binary message sent with /hex, shown as hex");
      type("/nope\r");
      await until(() => screen.includes("unknown command /nope"), "an unknown command explained");
      type("\x04"); // Ctrl-D: end of input
      assert.equal(await Promise.race([exited, delay(10_000).then(() => -1)]), 0, screen);
    } finally {
      tty.kill("SIGKILL");
    }
  });

  describe("fullduplex serve", () => {
    let demo: Spawned;
    let url = "";
    before(async () => {
      demo = spawnScript(RUNTIME, "cli.ts", ["serve", "--port", "0", "--host", "127.0.0.1", "--quiet"]);
      url = (await demo.waitFor(/WebSocket server listening on (ws:\/\/127\.0\.0\.1:\d+)/))[1];
    });
    after(async () => {
      demo.kill("SIGINT");
      await demo.exited().catch(() => demo.kill());
    });

    it("runs the demo server: the protocol, the page and its script", async () => {
      const greeting = await cli([url, "-q", "--json", '{"type":"greeting","content":"Hello Server"}']);
      assert.equal(greeting.out, '{"type":"response","content":"Hello Client"}\n');
      const echo = await cli([url, "-q", "Hello"]);
      assert.equal(echo.out, "Echo: Hello\n");
      const http = url.replace("ws:", "http:");
      assert.match(await (await fetch(`${http}/`)).text(), /<title>fullduplex demo<\/title>/);
      assert.equal(await (await fetch(`${http}/client.js`)).text(), readFileSync(join(ROOT, "demo", "client.js"), "utf8"));
    });

    it("serve --help, and bad flags exit 2", async () => {
      const help = await cli(["serve", "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.out, /^usage: fullduplex serve \[--port N\]/);
      const bad = await cli(["serve", "--port", "x"]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--port must be a whole number/);
    });
  });
});

describe(`fullduplex --ca (wss:// with a private CA) on ${RUNTIME}`, () => {
  let dir = "";
  let tls: Server | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "fullduplex-cli-tls-"));
    makeCertificates(dir);
    tls = serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: readFileSync(join(dir, "leaf.pem"), "utf8"), key: readFileSync(join(dir, "leaf.key"), "utf8") },
      message: (socket, msg) => socket.send(`secure: ${msg.text()}`),
    });
    await tls.ready;
  });
  after(async () => {
    await tls?.shutdown({ timeout: 1000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("trusts the CA given with --ca; without it the certificate is refused (exit 1)", async () => {
    const url = `wss://localhost:${tls!.port}`;
    const ok = await cli([url, "--ca", join(dir, "ca.pem"), "-q", "hi"]);
    assert.deepEqual(ok, { code: 0, out: "secure: hi\n", err: "" });
    const refused = await cli([url, "hi"]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^Error: could not connect to wss:\/\/localhost:\d+: /);
    const missing = await cli([url, "--ca", join(dir, "nope.pem"), "hi"]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read the --ca file/);
    const notPem = await cli([url, "--ca", join(dir, "leaf.ext"), "hi"]);
    assert.equal(notPem.code, 2);
    assert.match(notPem.err, /holds no PEM certificate/);
  });
});

describe("fullduplex from a remote URL, the way deno run jsr:@fullduplex/fullduplex/cli loads it", () => {
  // JSR serves the published files over https; here a static HTTP server
  // serves the repository's. `fullduplex serve` must then fetch the browser
  // bundle from there too (demo/bundle.ts), not read it from a local file.
  let files: HttpServer;
  let denoDir = "";
  before(async () => {
    denoDir = mkdtempSync(join(tmpdir(), "fullduplex-remote-"));
    files = createHttpServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
      const file = join(ROOT, path);
      if (!file.startsWith(ROOT) || !existsSync(file) || path.includes("node_modules")) {
        res.writeHead(404).end();
        return;
      }
      const type = extname(file) === ".js" ? "text/javascript" : "application/typescript";
      res.writeHead(200, { "content-type": type }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    await new Promise((resolve) => files.close(resolve));
    if (denoDir) rmSync(denoDir, { recursive: true, force: true });
  });

  const denoOnly = RUNTIME !== "deno" && "Deno only (runs once)";
  it("deno run -A http://…/cli.ts serve: the page's script comes from the same place", { skip: denoOnly }, async () => {
    const origin = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
    const args = ["run", "-A", "--no-config", `${origin}/cli.ts`, "serve", "--port", "0", "--host", "127.0.0.1", "--quiet"];
    const child = spawn(runtimeBin("deno"), args, {
      cwd: denoDir,
      env: { ...process.env, NO_COLOR: "1", DENO_DIR: denoDir },
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    try {
      await until(() => /listening on ws:\/\/127\.0\.0\.1:\d+/.test(out), `the remote server to start: ${out}`, 30_000);
      const http = `http://127.0.0.1:${/listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`;
      const res = await fetch(`${http}/client.js`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), readFileSync(join(ROOT, "demo", "client.js"), "utf8"));
    } finally {
      child.kill("SIGKILL");
    }
  });
});

// What a user gets from the npm tarball beyond the library (package.node.mjs
// covers that): the `fullduplex` command (the package's bin) on Bun, Deno
// and Node.js, and a browser bundle of `import { connect } from "fullduplex"`
// that leaves the server and the typed layer out. Packs the tarball once and
// installs it offline into a scratch project, as package.node.mjs does.
//
//   node --test tests/node/tarball.node.mjs
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, ROOT, run, start } from "./helpers.mjs";

let tmp = "";
let app = "";
let packed = [];
/** `fullduplex serve` from the package, on Bun and on Deno: { url, server }. */
const servers = {};

/** Node.js 20 has a global WebSocket only behind a flag (on by default from Node 22). */
const nodeEnv = typeof WebSocket === "undefined" ? { NODE_OPTIONS: "--experimental-websocket" } : {};

/** How each runtime runs the package's command from the scratch project (no registry). */
const COMMANDS = {
  // The bin's shebang runs it with Node.js (npx does the same, ~1 s slower: one test uses npx itself).
  node: (args) => [process.execPath, [join(app, "node_modules", ".bin", "fullduplex"), ...args], nodeEnv],
  npx: (args) => ["npx", ["--no-install", "fullduplex", ...args], nodeEnv],
  // Without --bun, bunx runs a `#!/usr/bin/env node` bin with Node.js when Node.js is installed.
  bun: (args) => [bin("bun"), ["x", "--bun", "fullduplex", ...args], {}],
  // `npm:fullduplex` with no subpath runs the package's bin; --cached-only: node_modules only.
  deno: (args) => [bin("deno"), ["run", "-A", "--cached-only", "npm:fullduplex", ...args], {}],
};

/** Runs the packaged command on `runtime` to the end (any exit code). */
async function fullduplex(runtime, args, input) {
  const [cmd, argv, env] = COMMANDS[runtime](args);
  const p = start(cmd, argv, { cwd: app, env: { npm_config_update_notifier: "false", ...env }, input: input ?? "" });
  return await p.exited(30_000);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "fullduplex-tarball-"));
  const env = { npm_config_update_notifier: "false" };
  const out = await run("npm", ["pack", "--json", "--loglevel=error", "--pack-destination", tmp], { env });
  const info = JSON.parse(out.stdout)[0];
  packed = info.files;
  app = join(tmp, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch-cli", private: true, type: "module" }));
  writeFileSync(join(app, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", join(tmp, info.filename)], {
    cwd: app,
    env: { npm_config_update_notifier: "false" },
  });
  for (const runtime of ["bun", "deno"]) {
    const [cmd, argv] = COMMANDS[runtime](["serve", "--port", "0", "--host", "127.0.0.1", "--quiet"]);
    const server = start(cmd, argv, { cwd: app });
    const [, url] = await server.waitFor(/WebSocket server listening on (ws:\/\/127\.0\.0\.1:\d+)/);
    servers[runtime] = { url, server };
  }
});

after(async () => {
  for (const { server } of Object.values(servers)) {
    server.child.kill("SIGINT");
    await server.exited(10_000);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the fullduplex command from the npm tarball", () => {
  it("package.json's bin is in the tarball: an executable with a Node.js shebang", () => {
    const pkg = JSON.parse(readFileSync(join(app, "node_modules", "fullduplex", "package.json"), "utf8"));
    assert.deepEqual(pkg.bin, { fullduplex: "dist/bin/fullduplex.js" });
    const file = packed.find((f) => f.path === "dist/bin/fullduplex.js");
    assert.ok(file, "dist/bin/fullduplex.js is not in the tarball");
    assert.equal(file.mode & 0o111, 0o111, "not executable");
    const text = readFileSync(join(app, "node_modules", "fullduplex", "dist", "bin", "fullduplex.js"), "utf8");
    assert.match(text, /^#!\/usr\/bin\/env node\n/);
    assert.ok(packed.some((f) => f.path === "dist/demo/client.js"), "fullduplex serve needs dist/demo/client.js");
  });

  for (const runtime of ["node", "bun", "deno"]) {
    it(`${runtime}: --version, --help, and a usage error exits 2`, async () => {
      const version = await fullduplex(runtime, ["--version"]);
      assert.equal(version.stdout, `fullduplex ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}\n`, version.stderr);
      const help = await fullduplex(runtime, ["--help"]);
      assert.match(help.stdout, /^fullduplex: a WebSocket client for the command line/);
      const bad = await fullduplex(runtime, ["--frobnicate"]);
      assert.equal(bad.code, 2);
    });

    for (const serverRuntime of ["bun", "deno"]) {
      it(`${runtime}: one-shot and piped lines against \`fullduplex serve\` on ${serverRuntime}`, async () => {
        const { url } = servers[serverRuntime];
        const greeting = await fullduplex(runtime, [url, "--json", '{"type":"greeting","content":"Hello Server"}', "--pretty"]);
        assert.equal(greeting.code, 0, greeting.stderr);
        assert.equal(greeting.stdout, '{\n  "type": "response",\n  "content": "Hello Client"\n}\n');
        assert.equal(greeting.stderr, `Connected to ${url}\n`);
        const binary = await fullduplex(runtime, [url, "-q", "--hex", "00 ff 41"]);
        assert.equal(binary.stdout, `00000000  00 ff 41${" ".repeat(42)}|..A|\n`);
        const lines = await fullduplex(runtime, [url, "-q", "-t", "1s"], "one\ntwo\n");
        assert.deepEqual([lines.code, lines.stdout], [0, "Echo: one\nEcho: two\n"]);
      });
    }
  }

  it("npx fullduplex URL MESSAGE (npx finds the bin in node_modules/.bin)", async () => {
    const r = await fullduplex("npx", [servers.deno.url, "Hello"]);
    assert.deepEqual([r.code, r.stdout], [0, "Echo: Hello\n"], r.stderr);
  });

  it("bun and deno: fullduplex serve serves the demo page and its script from the package", async () => {
    for (const runtime of ["bun", "deno"]) {
      const http = servers[runtime].url.replace("ws:", "http:");
      assert.match(await (await fetch(`${http}/`)).text(), /<title>fullduplex demo<\/title>/);
      const script = await fetch(`${http}/client.js`);
      assert.equal(script.status, 200);
      assert.equal(await script.text(), readFileSync(join(app, "node_modules", "fullduplex", "dist", "client.js"), "utf8"));
    }
  });

  it("node: -H and serve say to use Bun or Deno (bunx without --bun runs Node.js too)", async () => {
    const headers = await fullduplex("node", ["-H", "Authorization: x", servers.bun.url, "hi"]);
    assert.equal(headers.code, 2);
    assert.match(headers.stderr, /-H needs Deno or Bun: Node\.js's WebSocket cannot send custom handshake headers/);
    const serve = await fullduplex("node", ["serve", "--port", "0"]);
    assert.equal(serve.code, 1);
    assert.match(serve.stderr, /Node\.js servers are not supported yet/);
    assert.match(serve.stderr, /bunx --bun fullduplex serve/);
    // What `bunx fullduplex` does when Node.js is installed: it follows the shebang.
    const [cmd, argv] = [bin("bun"), ["x", "fullduplex", "-H", "A: b", servers.bun.url, "hi"]];
    const plain = await start(cmd, argv, { cwd: app, env: nodeEnv, input: "" }).exited(30_000);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, /-H needs Deno or Bun/);
  });

  const hasWebSocket = typeof WebSocket !== "undefined" && "this Node.js has a global WebSocket";
  it("node: without a global WebSocket (Node.js 20, no flag) it says which Node.js it needs", { skip: hasWebSocket }, async () => {
    const command = [join(app, "node_modules", ".bin", "fullduplex"), servers.bun.url, "hi"];
    const r = await start(process.execPath, command, { cwd: app, input: "" }).exited(20_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no global WebSocket \(Node\.js v20\.[\d.]+\): use Node\.js 22 or later/);
    assert.match(r.stderr, /\(on Node\.js 20: node --experimental-websocket\)/);
  });
});

describe("bundling `import { connect } from \"fullduplex\"` for browsers (Bun.build's metafile)", () => {
  /** Bundles `source` in the scratch project; returns the metafile's inputs of the output and its size. */
  async function bundle(source) {
    writeFileSync(join(app, "entry.js"), source);
    writeFileSync(join(app, "bundle.mjs"), `const options = { target: "browser", format: "esm", minify: true, metafile: true };
const result = await Bun.build({ entrypoints: ["./entry.js"], ...options });
if (!result.success) throw new Error(result.logs.join("\\n"));
const [output] = Object.values(result.metafile.outputs);
const inputs = Object.entries(output.inputs)
  .filter(([, v]) => v.bytesInOutput > 0)
  .map(([k]) => k.replace(/^.*node_modules\\/fullduplex\\//, ""));
console.log(JSON.stringify({ inputs, parsed: Object.keys(result.metafile.inputs).length, bytes: (await result.outputs[0].text()).length }));
`);
    const r = await run(bin("bun"), ["run", "bundle.mjs"], { cwd: app }, 30_000);
    return JSON.parse(r.stdout);
  }

  it("the main entry: only the client and the shared layer reach the bundle, not the server or the typed layer", async () => {
    const { inputs, bytes } = await bundle('import { connect } from "fullduplex";\nexport const open = (url) => connect(url);\n');
    console.log(`import { connect } from "fullduplex": ${bytes} bytes minified; inputs: ${inputs.join(", ")}`);
    assert.ok(inputs.includes("dist/src/client/connect.js"), inputs.join(" "));
    const leaked = inputs.filter((f) => /^dist\/(src\/(server|adapters|broker|protocol|cli)\/|demo\/|cli\.js)/.test(f));
    assert.deepEqual(leaked, [], "server, adapter, broker, typed-layer or CLI code in a client-only bundle");
    assert.ok(inputs.every((f) => f === "entry.js" || f === "dist/mod.js" || /^dist\/src\/(client|shared)\//.test(f)), inputs.join(" "));
  });

  it("fullduplex/client in a browser build picks the prebuilt bundle (the browser export condition)", async () => {
    const { inputs } = await bundle('import { connect } from "fullduplex/client";\nexport const open = (url) => connect(url);\n');
    assert.deepEqual(inputs.filter((f) => f !== "entry.js"), ["dist/client.js"]);
  });
});

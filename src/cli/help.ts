/**
 * The help text of the `fullduplex` command.
 *
 * @module
 */

import { EXIT_CODE_HELP } from "./exit_codes.ts";
import { DEFAULT_CONNECT_TIMEOUT, DEFAULT_QUIET_TIMEOUT, DEFAULT_REPLY_TIMEOUT } from "./options.ts";

/** `fullduplex --help`. */
export const HELP: string = `fullduplex: a WebSocket client for the command line, and the demo server

Usage:
  fullduplex [options] URL MESSAGE     send MESSAGE, print the first reply, exit
  fullduplex [options] URL             interactive: send each line typed (or piped in), print what arrives
  fullduplex serve [options]           run the demo server (fullduplex serve --help)

Run it with:
  npx fullduplex …        Node.js 22+ (the client only: no -H, no --ca, no serve)
  bunx --bun fullduplex … Bun (plain bunx runs it with Node.js when Node.js is installed)
  deno run -A jsr:@fullduplex/fullduplex/cli …

What to send (one-shot, instead of MESSAGE):
  --json JSON              JSON text, checked and sent compact
  --hex HEX                a binary message: "01 02 ff", 0102ff
  --binary LIST            a binary message: 1,2,255

Connection:
  -s, --subprotocol NAME   offer a subprotocol (repeat, or a,b); the one agreed is shown on connect
  -H, --header "N: v"      add a handshake header (repeat); Deno and Bun only (Node.js and browsers
                           cannot send them)
  --connect-timeout TIME   give up opening after TIME (default ${DEFAULT_CONNECT_TIMEOUT / 1000}s); 500ms, 5s, 1m; a bare number is ms
  --ca FILE                trust the CA certificate(s) in this PEM file for wss:// (Deno and Bun;
                           on Node.js use NODE_EXTRA_CA_CERTS=FILE)

Receiving:
  -t, --timeout TIME       one-shot: wait at most TIME for the reply (default ${DEFAULT_REPLY_TIMEOUT / 1000}s; none with --wait);
                           interactive: once the input ends, close after TIME without a
                           message (default ${DEFAULT_QUIET_TIMEOUT}ms)
  -w, --wait               keep printing messages after the first reply (or after the input ends,
                           interactive) until the server closes or Ctrl-C
  -p, --pretty             pretty-print JSON messages
  -i, --interactive        interactive even when stdin is not a terminal (the default without MESSAGE)
  -q, --quiet              no status lines (Connected, Closed) on stderr; errors still go there

Messages go to stdout, one per line: text as it came, binary as a hex dump. Status lines and
errors go to stderr. At a terminal, interactive mode has a prompt with history (up/down) and
commands: /hex 01 02, /json {...}, /close [code] [reason], /quit, /help.

Exit codes:
${EXIT_CODE_HELP}

  -h, --help               this text
  -V, --version            the version
`;

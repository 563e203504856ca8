/**
 * Interactive mode: every line read from stdin is sent as a text message and
 * every message received is printed as it comes.
 *
 * On a terminal there is a prompt (`> `) with the session's history (up and
 * down arrows), received messages appear above it as `< …` without
 * disturbing what is being typed, and a few commands start with `/`. From a
 * pipe each line is sent as it is, with no prompt and no commands. At the end
 * of the input (Ctrl-D, or the end of the pipe) the client waits until all is
 * sent and nothing has arrived for `quietTimeout` ms, then closes with 1000
 * (closing at once would lose the replies on their way: see
 * DEFAULT_QUIET_TIMEOUT); with `--wait` it keeps listening until the server
 * closes or Ctrl-C.
 *
 * @module
 */

import { clearLine, createInterface, cursorTo } from "node:readline";
import type { Interface } from "node:readline";
import process from "node:process";
import { CloseCode, isApplicationCloseCode } from "../client/mod.ts";
import type { Client } from "../client/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import type { ExitCodeValue } from "./exit_codes.ts";
import { NORMAL_CLOSE_REASON } from "./output.ts";
import type { ClientOutput, Lines } from "./output.ts";
import { UsageError } from "./usage_error.ts";
import { parseHex } from "./values.ts";

/** What the interactive loop needs besides the client. */
export interface InteractiveOptions {
  /** Keep listening after the input ends. */
  wait: boolean;
  /** After the input ends: close once nothing has arrived for this many ms. */
  quietTimeout: number;
  /** stdin is a terminal: prompt, history, commands. */
  tty: boolean;
  /** Where lines come from. */
  stdin: NodeJS.ReadStream;
  /** Where the prompt goes (a terminal). */
  stdout: NodeJS.WriteStream;
  /** Plain line sinks (wrapped here so that output keeps the prompt intact). */
  lines: Lines;
  /** Builds the output over the given sinks, with `prefix` before each message line. */
  makeOutput(lines: Lines, prefix: string): ClientOutput;
}

/** The commands at the prompt, as /help lists them. */
export const PROMPT_COMMANDS: string = [
  "/hex 01 02 ff        send a binary message (hex bytes)",
  "/json {\"a\": 1}       send JSON (checked, sent compact)",
  "/close [code] [why]  close with a code (1000 or 3000-4999) and quit",
  "/quit                close with 1000 \"done\" and quit (or Ctrl-D, Ctrl-C)",
  "//text               send text that starts with /",
].join("\n");

/** Runs until the connection closes or the user quits; resolves with the exit code. */
export function runInteractive(client: Client, options: InteractiveOptions): Promise<ExitCodeValue> {
  return new Promise<ExitCodeValue>((resolve) => {
    const { tty } = options;
    const rl = createInterface({
      input: options.stdin,
      output: tty ? options.stdout : undefined,
      terminal: tty,
      prompt: "> ",
      historySize: 1000,
      removeHistoryDuplicates: true,
    });
    let closing = false;
    let finished = false;
    let inputEnded = false;
    let quietTimer: ReturnType<typeof setTimeout> | undefined;
    const lines = tty ? aboveThePrompt(rl, options.stdout, options.lines, () => !finished) : options.lines;
    const output = options.makeOutput(lines, tty ? "< " : "");

    const finish = (code: ExitCodeValue) => {
      if (finished) return;
      finished = true;
      clearTimeout(quietTimer);
      process.off("SIGINT", quitNormally);
      rl.close();
      if (tty) options.stdout.write("\n");
      resolve(code);
    };
    /** This side ends the session (the input ended, Ctrl-C, /quit, /close). */
    const quit = (code: number, reason: string) => {
      if (closing) return;
      closing = true;
      client.close(code, reason).then((info) => {
        if (info.code !== code) output.closed(info, "client");
        finish(ExitCode.Ok);
      });
    };
    function quitNormally() {
      quit(CloseCode.Normal, NORMAL_CLOSE_REASON);
    }
    const send = (data: string | Uint8Array) => {
      if (client.readyState !== 1) {
        output.error("not sent: the connection is closing");
        return;
      }
      try {
        client.send(data);
      } catch (err) {
        output.error(err instanceof Error ? err.message : String(err));
      }
    };

    /** (Re)starts the wait for quiet after the input ended. */
    const closeWhenQuiet = () => {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(quitNormally, options.quietTimeout);
    };
    client.on("message", (msg) => {
      output.message(msg);
      if (inputEnded && !closing) closeWhenQuiet();
    });
    client.on("error", (err) => output.error(err.message));
    client.closed.then((info) => {
      if (closing) return;
      closing = true;
      output.closed(info, "server");
      finish(info.code === CloseCode.Normal ? ExitCode.Ok : ExitCode.Closed);
    });

    rl.on("line", (line: string) => {
      if (closing) return;
      if (!tty) send(line);
      else {
        runPromptLine(line, { send, quit, output });
        if (!closing) rl.prompt();
      }
    });
    // The input ended: Ctrl-D at the prompt, or the end of a pipe.
    rl.on("close", () => {
      if (finished || closing) return;
      if (options.wait) {
        output.hint("(input ended; still listening: Ctrl-C to quit)");
        return;
      }
      inputEnded = true;
      // Everything typed goes out first; the quiet wait starts once it has.
      client.drained().then(closeWhenQuiet, () => {});
    });
    // At a terminal readline takes Ctrl-C itself; from a pipe the process gets SIGINT.
    rl.on("SIGINT", quitNormally);
    process.on("SIGINT", quitNormally);
    if (tty) {
      output.hint("Type a message and press Enter; /help lists the commands; Ctrl-D or Ctrl-C quits.");
      rl.prompt();
    }
  });
}

/** One line typed at the prompt: a message, or a /command. */
function runPromptLine(
  line: string,
  on: { send(data: string | Uint8Array): void; quit(code: number, reason: string): void; output: ClientOutput },
): void {
  if (line === "") return;
  if (!line.startsWith("/") || line.startsWith("//")) {
    on.send(line.startsWith("//") ? line.slice(1) : line);
    return;
  }
  const [, name, rest] = /^\/(\S*)\s*([\s\S]*)$/.exec(line)!;
  switch (name) {
    case "help":
      for (const l of PROMPT_COMMANDS.split("\n")) on.output.hint(l);
      return;
    case "quit":
    case "exit":
      on.quit(CloseCode.Normal, NORMAL_CLOSE_REASON);
      return;
    case "close": {
      const [, codeText, reason] = /^(\S*)\s*([\s\S]*)$/.exec(rest)!;
      const code = codeText === "" ? CloseCode.Normal : Number(codeText);
      if (!(code === CloseCode.Normal || (Number.isInteger(code) && isApplicationCloseCode(code)))) {
        on.output.error(`/close takes 1000 or a code from 3000 to 4999, got ${JSON.stringify(codeText)}`);
        return;
      }
      if (new TextEncoder().encode(reason).length > 123) {
        on.output.error("/close: the reason may be at most 123 bytes");
        return;
      }
      on.quit(code, reason);
      return;
    }
    case "hex":
      try {
        on.send(parseHex("/hex", rest));
      } catch (err) {
        on.output.error(err instanceof UsageError ? err.message : String(err));
      }
      return;
    case "json":
      try {
        on.send(JSON.stringify(JSON.parse(rest)));
      } catch (err) {
        on.output.error(`/json: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    default:
      on.output.error(`unknown command /${name}: /help lists them; //${name} sends "/${name}" as text`);
  }
}

/** Line sinks that print above the prompt and redraw it with what was typed so far. */
function aboveThePrompt(rl: Interface, stdout: NodeJS.WriteStream, lines: Lines, active: () => boolean): Lines {
  const wrap = (write: (line: string) => void) => (line: string) => {
    if (!active()) {
      write(line);
      return;
    }
    clearLine(stdout, 0);
    cursorTo(stdout, 0);
    write(line);
    rl.prompt(true);
  };
  return { out: wrap(lines.out), err: wrap(lines.err) };
}

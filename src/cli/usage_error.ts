/**
 * A mistake in the command line, reported with exit code 2 and a pointer to
 * `--help`.
 *
 * @module
 */

/** Bad arguments: the message says what is wrong and, where it helps, what to write instead. */
export class UsageError extends Error {
  /** Creates the error; `message` is printed after `Error: `. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

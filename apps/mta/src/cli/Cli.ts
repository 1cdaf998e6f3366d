/**
 * The `cartero` command line: `cartero queue ...` and `cartero dkim ...`. `run(args)` is what the entry
 * point (`src/cli.ts`) and the in-process tests call.
 *
 * Output contract for operators and scripts: results go to stdout; an expected failure (unknown id, store
 * unreachable, bad setting) is one line `cartero: <what went wrong>` on stderr and exit code 1, never a stack
 * trace; usage errors are shown by `effect/cli` with the help text (exit 1); `--help` exits 0. Only defects (bugs)
 * print a stack.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit } from "effect"
import { CliError, Command } from "effect/cli"
import * as ProcessExit from "../ProcessExit.ts"
import * as ConfigCommands from "./ConfigCommands.ts"
import * as DkimCommands from "./DkimCommands.ts"
import * as QueueCommands from "./QueueCommands.ts"
import * as SendCommand from "./SendCommand.ts"
import * as UsersCommands from "./UsersCommands.ts"

export const version = "0.1.0"

/** The root command. */
export const command = Command.make("cartero").pipe(
  Command.withDescription("Operate a Cartero mail server"),
  Command.withSubcommands([QueueCommands.command, DkimCommands.command, UsersCommands.command, SendCommand.command, ConfigCommands.command])
)

/**
 * Runs the command line. A leading `--` is dropped: `pnpm cartero -- queue list` passes it through (pnpm 12), and
 * `effect/cli` would otherwise read everything after it as operands instead of a subcommand.
 */
export const run = (args: ReadonlyArray<string>) =>
  Command.runWith(command, { version })(args[0] === "--" ? args.slice(1) : args)

/** `--help` also ends as a `ShowHelp` failure; without parse errors it is a success, not a mistake. */
const isPlainHelp = (error: unknown): boolean =>
  CliError.isCliError(error) && error._tag === "ShowHelp" && error.errors.length === 0

/** One line for an expected failure: the tagged errors' own messages, with their causes (the store's reason). */
export const describe = (error: unknown): string => ProcessExit.describe(error)

/** The stderr text for a failed run; parse errors are left out because `effect/cli` has shown them already. */
export const errorText = <E>(cause: Cause.Cause<E>): string => {
  let out = ""
  for (const reason of cause.reasons) {
    if (Cause.isFailReason(reason)) {
      if (!CliError.isCliError(reason.error)) out += `cartero: ${describe(reason.error)}\n`
    } else if (Cause.isDieReason(reason)) out += `cartero: internal error: ${Cause.pretty(Cause.die(reason.defect))}\n`
  }
  return out
}

/** The exit code: 0 for success and plain `--help`, 130 when interrupted (Ctrl-C), 1 otherwise. */
export const exitCode = <A, E>(exit: Exit.Exit<A, E>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.hasInterruptsOnly(exit.cause)) return 130
  // Only failures that are all plain `--help` count as success; a defect never does.
  const failures: Array<unknown> = []
  for (const r of exit.cause.reasons) {
    if (Cause.isFailReason(r)) failures.push(r.error)
    else if (Cause.isDieReason(r)) failures.push(r)
  }
  return failures.length > 0 && failures.every(isPlainHelp) ? 0 : 1
}

/** Writes `errorText` to stderr. */
export const report = <E>(cause: Cause.Cause<E>): Effect.Effect<void> =>
  Effect.sync(() => {
    const text = errorText(cause)
    if (text !== "") process.stderr.write(text)
  })

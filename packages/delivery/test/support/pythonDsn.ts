/**
 * Python's `email` package reading a DSN (`dsn_report.py`): a second, independent reader of the notices we build.
 * `/usr/bin/python3` is Debian's (the standard library is all the script needs).
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("./dsn_report.py", import.meta.url))

/** What `dsn_report.py` prints. */
export interface PythonReport {
  readonly content_type: string
  readonly report_type: string | null
  readonly parts: ReadonlyArray<string>
  readonly defects: ReadonlyArray<string>
  readonly message: Readonly<Record<string, string>>
  readonly recipients: ReadonlyArray<Readonly<Record<string, string>>>
  readonly returned: { readonly type: string; readonly subject: string | null; readonly has_body: boolean } | null
}

/** Parses `message` with Python's `email` package. */
export const pythonReport = (message: Uint8Array): PythonReport =>
  JSON.parse(execFileSync("/usr/bin/python3", [script], { input: message, timeout: 20_000 }).toString("utf8")) as PythonReport

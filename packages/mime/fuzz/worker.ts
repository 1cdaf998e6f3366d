/**
 * The fuzzer's worker thread: serves jobs with the real checks (see check.ts).
 *
 * @since 0.1.0
 */
import { steps } from "./check.ts"
import { serve } from "./serve.ts"

serve(steps)

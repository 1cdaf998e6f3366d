/**
 * A fuzz worker whose check throws (but on the warm-up message): the driver must report the exception and go on.
 */
import { serve, WARM_UP } from "../../fuzz/serve.ts"

serve([
  { name: "fine", run: () => undefined },
  {
    name: "throws",
    run: (bytes) => {
      if (Buffer.compare(bytes, WARM_UP) !== 0) throw new RangeError(`boom at ${bytes.length} bytes`)
    }
  }
])

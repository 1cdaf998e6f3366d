/**
 * A fuzz worker whose check never returns (but on the warm-up message): the driver's watchdog must end it.
 */
import { serve, WARM_UP } from "../../fuzz/serve.ts"

serve([
  {
    name: "hang",
    run: (bytes) => {
      if (Buffer.compare(bytes, WARM_UP) === 0) return
      for (;;) {
        // A synchronous hang: nothing in this thread can interrupt it.
      }
    }
  }
])

import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { start } from "../../examples/worker_mode.ts";
import { startExample } from "./_run.ts";

describe("examples/worker_mode", () => {
  it("counts requests on the main thread while workers do the HTTP work", async () => {
    const server = await start({ port: 0, workers: 2 });
    try {
      const answers = await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) => fetch(server.url, { method: "POST", body: `#${i}` }).then((r) => r.json()),
        ),
      );
      assert.deepEqual(answers.map((a) => a.served).sort((a, b) => a - b), [
        ...Array.from({ length: 20 }, (_, i) => i + 1),
      ]);
      assert.deepEqual(
        answers.map((a) => a.echoed).sort(),
        [
          ...Array.from({ length: 20 }, (_, i) => `#${i}`),
        ].sort(),
      );
    } finally {
      await server.shutdown();
    }
  });

  it("runs as a program on PORT, printing its URL", async () => {
    const program = await startExample("worker_mode", { WORKERS: "1" });
    try {
      const answer = await (await fetch(program.url)).json();
      assert.deepEqual(answer, { served: 1, method: "GET", echoed: "" });
    } finally {
      await program.stop();
    }
  });
});

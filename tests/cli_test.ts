import { after, before, describe, it } from "./_testing.ts";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppLoadError, parseArguments, runCli } from "../cli.ts";
import { startProgram } from "./_program.ts";

describe("CLI", () => {
  it("parses the module, --port and --hostname in either form, and --help", () => {
    assert.deepEqual(parseArguments(["app.ts"]), { module: "app.ts" });
    assert.deepEqual(parseArguments(["--port", "3000", "app.ts", "--hostname=::1"]), {
      module: "app.ts",
      port: "3000",
      hostname: "::1",
    });
    assert.deepEqual(parseArguments(["--help"]), { help: true });
    assert.deepEqual(parseArguments(["app.ts", "-h"]), { help: true });
  });

  it("refuses a missing module, unknown options and a missing value with the usage line", () => {
    for (
      const args of [[], ["--verbose", "a.ts"], ["--port"], ["a.ts", "b.ts"]]
    ) {
      assert.throws(() => parseArguments(args), /usage: hussar/);
    }
  });

  it("serves a module's default export { fetch } and a default fetch function", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-cli-"));
    try {
      const objectModule = join(dir, "object.mjs");
      writeFileSync(
        objectModule,
        `export default { greeting: "hi", fetch(req) { return new Response(this.greeting + " " + new URL(req.url).pathname); } };`,
      );
      const functionModule = join(dir, "function.mjs");
      writeFileSync(functionModule, `export default () => new Response("fn");`);
      for (const [module, expected] of [[objectModule, "hi /x"], [functionModule, "fn"]]) {
        const server = await runCli({ module, port: 0, hostname: "127.0.0.1" }, () => {});
        assert.equal(await (await fetch(new URL("/x", server.url))).text(), expected);
        await server.shutdown();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes --port as a decimal string, and refuses another with the value", async () => {
    const module = `data:text/javascript,export default () => new Response("ok")`;
    const server = await runCli({ module, port: "0", hostname: "127.0.0.1" }, () => {});
    assert.equal(await (await fetch(server.url)).text(), "ok");
    await server.shutdown();
    await assert.rejects(runCli({ module, port: "0x1F90" }), /`port` must be .*"0x1F90"/);
  });

  it("refuses a module without a fetch handler", async () => {
    const module = `data:text/javascript,export default { port: 1 }`;
    await assert.rejects(runCli({ module, port: 0 }), /must export default \{ fetch/);
  });

  it("rejects a module that fails to load with an AppLoadError carrying the module's error", async () => {
    const module = `data:text/javascript,undefinedThing()`;
    const error = await runCli({ module, port: 0 }).then(() => null, (error) => error);
    assert.ok(error instanceof AppLoadError, String(error));
    assert.equal(error.module, module);
    assert.ok(error.cause instanceof ReferenceError);
    assert.match(error.message, /cannot load .*undefinedThing is not defined/);
  });
});

describe("CLI as a program", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hussar-cli-program-"));
    // Line 3 fails when the module is evaluated.
    writeFileSync(
      join(dir, "broken.mjs"),
      `const greeting = "hi";\n\nundefinedThing(greeting);\nexport default { fetch: () => new Response(greeting) };\n`,
    );
    writeFileSync(
      join(dir, "syntax.mjs"),
      `export default {\n  fetch() {\n    return = 1;\n  },\n};\n`,
    );
    // Its handler holds every request until a line arrives on stdin.
    writeFileSync(
      join(dir, "slow.mjs"),
      `import process from "node:process";
let release;
const released = new Promise((resolve) => (release = resolve));
process.stdin.on("data", () => release());
export default {
  async fetch() {
    console.log("handling");
    await released;
    return new Response("finished after the signal");
  },
};
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--help prints the usage and the options, and exits 0", async () => {
    const program = startProgram("cli", ["--help"]);
    assert.equal(await program.exited(), 0);
    assert.match(program.stdout, /^usage: hussar /);
    assert.match(program.stdout, /--port N[\s\S]*--hostname H[\s\S]*SIGTERM/);
    assert.equal(program.stderr, "");
  });

  it("says which file and line fail when the module cannot be evaluated", async () => {
    const program = startProgram("cli", ["--port", "0", "broken.mjs"], { cwd: dir });
    assert.notEqual(await program.exited(), 0);
    assert.match(program.stderr, /^hussar: cannot load broken\.mjs/);
    assert.match(program.stderr, /broken\.mjs:3\b/);
    assert.match(program.stderr, /undefinedThing is not defined/);
  });

  it("says which file and line hold a syntax error", async () => {
    const program = startProgram("cli", ["--port", "0", "syntax.mjs"], { cwd: dir });
    assert.notEqual(await program.exited(), 0);
    assert.match(program.stderr, /^hussar: cannot load syntax\.mjs/);
    assert.match(program.stderr, /syntax\.mjs:3\b/);
  });

  it("refuses a malformed --port with its value and exit code 2", async () => {
    const program = startProgram("cli", ["--port", "80a", "slow.mjs"], { cwd: dir });
    assert.equal(await program.exited(), 2);
    assert.match(program.stderr, /`port` must be .*"80a"/);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`on ${signal}, lets the request in flight finish, then exits 0`, async () => {
      const program = startProgram(
        "cli",
        ["--port", "0", "--hostname", "127.0.0.1", "slow.mjs"],
        { cwd: dir },
      );
      try {
        const [, url] = await program.waitFor(/Listening on (http:\/\/\S+)/);
        const response = fetch(url);
        await program.waitFor(/handling/);
        program.signal(signal);
        await program.waitFor(new RegExp(`${signal}: shutting down`), "stderr");
        program.child.stdin!.write("release\n");
        const answer = await response;
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get("connection"), "close");
        assert.equal(await answer.text(), "finished after the signal");
        assert.equal(await program.exited(), 0, program.stderr);
      } finally {
        await program.kill();
      }
    });
  }
});

/**
 * Where the benchmarks and the npm package test find the current Node LTS
 * (scripts/bench/node_lts.ts).
 */
import { after, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { NODE_LTS_VERSION, nodeLtsBinary } from "../../scripts/bench/node_lts.ts";

describe("nodeLtsBinary", () => {
  const repo = mkdtempSync(join(tmpdir(), "hussar-node-lts-"));
  const given = process.env.HUSSAR_NODE_LTS;
  after(() => {
    rmSync(repo, { recursive: true, force: true });
    if (given !== undefined) process.env.HUSSAR_NODE_LTS = given;
  });

  it("answers the cached binary as an absolute path when the repository is given relative", () => {
    // A relative path once nested the install inside itself: npm runs in the install's folder.
    const bin = join(
      repo,
      ".build",
      "cache",
      `node-${NODE_LTS_VERSION}`,
      "node_modules",
      "node",
      "bin",
    );
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "node"), "");
    delete process.env.HUSSAR_NODE_LTS;
    try {
      assert.equal(nodeLtsBinary(relative(process.cwd(), repo)), join(bin, "node"));
    } finally {
      if (given !== undefined) process.env.HUSSAR_NODE_LTS = given;
    }
  });

  it("answers HUSSAR_NODE_LTS as it is when set", () => {
    process.env.HUSSAR_NODE_LTS = "/opt/node/bin/node";
    try {
      assert.equal(nodeLtsBinary(repo), "/opt/node/bin/node");
    } finally {
      if (given === undefined) delete process.env.HUSSAR_NODE_LTS;
      else process.env.HUSSAR_NODE_LTS = given;
    }
  });
});
